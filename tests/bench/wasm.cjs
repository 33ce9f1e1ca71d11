// Runs the wasm build of the trainer's benchmarks in node: the reference network (`cargo xtask
// bench`) or, with `workload COUNT`, the workload suite on the first COUNT training images
// (`bench/workload/run.sh`).
// node wasm.cjs <wasm-bindgen nodejs module> <folder with the MNIST training files> [workload COUNT]
const fs = require('node:fs');
const path = require('node:path');
const [modulePath, mnist, which = 'reference', count = '10000'] = process.argv.slice(2);
const { reference, workload } = require(path.resolve(modulePath));
const read = (name) => fs.readFileSync(path.join(mnist, name));
const [images, labels] = [read('train-images.idx3-ubyte.gz'), read('train-labels.idx1-ubyte.gz')];
if (which === 'workload') {
  process.stdout.write(workload(images, labels, Number(count)));
} else {
  console.log(reference(images, labels));
}
