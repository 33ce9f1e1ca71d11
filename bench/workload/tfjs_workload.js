// TensorFlow.js side of the workload benchmark: every network of suite.json (written by the
// native bench) built as sparse-explorer builds it (ReLU after every layer but pools and the
// last, "same" padding as TF pads, depthwise-separable as depthwise then pointwise with biases),
// trained one epoch of the first IMAGES MNIST training images, Adam at 0.003, batches of 32,
// the loss read back every step, on one thread of the wasm backend (SIMD) or the cpu one.
// Prints one JSON line per network (with `error` when the backend cannot train it).
//   node tfjs_workload.js wasm|cpu SUITE_JSON MNIST_DIR IMAGES
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const zlib = require('node:zlib');
const tf = require('@tensorflow/tfjs');

const [backend, suitePath, mnist, imagesText] = process.argv.slice(2);
const IMAGES = Number(imagesText);
const B = 32;

/** An IDX file's bytes after its header, and its dimensions. */
function idx(name) {
  const data = zlib.gunzipSync(fs.readFileSync(path.join(mnist, name)));
  const dims = data[3];
  const shape = [...Array(dims).keys()].map((i) => data.readUInt32BE(4 + 4 * i));
  return { shape, data: data.subarray(4 + 4 * dims) };
}

// tfjs-backend-wasm 4.22 registers no Conv2DBackpropFilter, so convolutions cannot train on it
// as shipped. Its Conv3DBackpropFilterV2 computes the same thing for a depth of 1: an NHWC
// tensor [B,H,W,C] has the memory of [B,1,H,W,C], so the 2-D call is forwarded to it.
function registerConv2DBackpropFilter() {
  if (tf.getKernel('Conv2DBackpropFilter', 'wasm')) return;
  const conv3d = tf.getKernel('Conv3DBackpropFilterV2', 'wasm').kernelFunc;
  tf.registerKernel({
    kernelName: 'Conv2DBackpropFilter',
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend: wasmBackend, attrs }) => {
      const { x, dy } = inputs;
      const strides = typeof attrs.strides === 'number' ? [attrs.strides, attrs.strides] : attrs.strides;
      const deeper = (t) => ({ dataId: t.dataId, dtype: t.dtype, shape: [t.shape[0], 1, ...t.shape.slice(1)] });
      const dw = conv3d({
        inputs: { x: deeper(x), dy: deeper(dy) },
        backend: wasmBackend,
        attrs: { strides: [1, ...strides], pad: attrs.pad, filterShape: [1, ...attrs.filterShape] },
      });
      return { dataId: dw.dataId, dtype: dw.dtype, shape: attrs.filterShape };
    },
  });
}

/** The network `arch` describes, as a tf.Sequential. */
function build(arch) {
  const [channels, height, width] = arch.input;
  const last = arch.layers.length - 1;
  const layers = [];
  let flattened = false;
  arch.layers.forEach((layer, i) => {
    const [[kind, p]] = Object.entries(layer);
    const first = layers.length === 0 ? { inputShape: [height, width, channels] } : {};
    const activation = i !== last ? 'relu' : 'linear';
    const padding = p.padding ?? 'valid';
    if (kind === 'conv') {
      layers.push(tf.layers.conv2d({ ...first, filters: p.filters, kernelSize: p.kernel, strides: p.stride ?? 1, padding, activation }));
    } else if (kind === 'dwconv') {
      layers.push(tf.layers.depthwiseConv2d({ ...first, kernelSize: p.kernel, strides: p.stride ?? 1, padding, depthMultiplier: 1 }));
      layers.push(tf.layers.conv2d({ filters: p.filters, kernelSize: 1, activation }));
    } else if (kind === 'maxpool' || kind === 'avgpool') {
      const make = kind === 'maxpool' ? tf.layers.maxPooling2d : tf.layers.averagePooling2d;
      layers.push(make({ ...first, poolSize: p.size, strides: p.stride ?? p.size }));
    } else if (kind === 'dense') {
      if (!flattened) {
        layers.push(tf.layers.flatten(first));
        flattened = true;
      }
      layers.push(tf.layers.dense({ units: p.units, activation }));
    } else {
      throw new Error(`unknown layer ${kind}`);
    }
  });
  return tf.sequential({ layers });
}

// Batches of one untimed warm-up round, and seconds the rounds last at least, before the
// timed epoch (as sparse_train::WARMUP_BATCHES and WARMUP_SECONDS).
const WARMUP_BATCHES = 10;
const WARMUP_SECONDS = 2;

/** Trains `model` with `opt` on the images of `order`, in batches of B; the loss of each step. */
async function train(model, opt, order, pixels, labels) {
  const losses = [];
  for (let start = 0; start < order.length; start += B) {
    const batch = order.slice(start, start + B);
    const xb = new Float32Array(batch.length * 784);
    const yb = new Int32Array(batch.length);
    batch.forEach((image, k) => {
      xb.set(pixels.subarray(image * 784, (image + 1) * 784), k * 784);
      yb[k] = labels.data[image];
    });
    const x = tf.tensor4d(xb, [batch.length, 28, 28, 1]);
    const y = tf.tidy(() => tf.oneHot(tf.tensor1d(yb, 'int32'), 10));
    const cost = opt.minimize(() => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true })), true);
    losses.push((await cost.data())[0]);
    tf.dispose([x, y, cost]);
  }
  return losses;
}

async function main() {
  if (backend === 'wasm') {
    const wasm = require('@tensorflow/tfjs-backend-wasm');
    const dist = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
    wasm.setWasmPaths(`${dist}/`);
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    wasm.setThreadsCount(1);
  }
  await tf.setBackend(backend);
  await tf.ready();
  if (backend === 'wasm') registerConv2DBackpropFilter();
  const images = idx('train-images.idx3-ubyte.gz');
  const labels = idx('train-labels.idx1-ubyte.gz');
  const pixels = Float32Array.from(images.data.subarray(0, IMAGES * 784), (v) => v / 255);
  const engine = `TensorFlow.js ${tf.version.tfjs}, ${backend} backend, 1 thread`;
  for (const net of JSON.parse(fs.readFileSync(suitePath, 'utf8'))) {
    try {
      const model = build(net.architecture);
      const opt = tf.train.adam(0.003);
      const order = [...Array(IMAGES).keys()];
      for (let i = order.length - 1; i > 0; i--) {
        const j = Math.floor(Math.random() * (i + 1));
        [order[i], order[j]] = [order[j], order[i]];
      }
      // Untimed: throwaway copies train rounds of WARMUP_BATCHES batches for WARMUP_SECONDS
      // first, as every engine does.
      const warming = performance.now();
      while (performance.now() - warming < WARMUP_SECONDS * 1000) {
        const warm = build(net.architecture);
        const warmOpt = tf.train.adam(0.003);
        await train(warm, warmOpt, order.slice(0, WARMUP_BATCHES * B), pixels, labels);
        warm.dispose();
        warmOpt.dispose();
      }
      const started = performance.now();
      const losses = await train(model, opt, order, pixels, labels);
      const seconds = (performance.now() - started) / 1000;
      const tail = losses.slice(-20);
      console.log(JSON.stringify({
        engine,
        name: net.name,
        images_per_s: IMAGES / seconds,
        final_loss: tail.reduce((a, b) => a + b, 0) / tail.length,
      }));
      model.dispose();
      opt.dispose();
    } catch (e) {
      console.log(JSON.stringify({ engine, name: net.name, error: String(e.message ?? e) }));
    }
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
