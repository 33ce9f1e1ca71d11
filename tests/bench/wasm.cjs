// Runs the wasm build of the trainer's benchmarks in node: the reference network (`cargo xtask
// bench`); with `workload COUNT`, the workload suite on the first COUNT training images
// (`bench/workload/run.sh`); with `design`, the skeleton trained as the page's design mode
// trains it (`bench/page/workers.sh`).
// node wasm.cjs <wasm-bindgen nodejs module> <folder with the MNIST training files> [workload COUNT | design]
const fs = require('node:fs');
const path = require('node:path');
const [modulePath, mnist, which = 'reference', count = '10000'] = process.argv.slice(2);
const { reference, workload, design } = require(path.resolve(modulePath));
const read = (name) => fs.readFileSync(path.join(mnist, name));
const [images, labels] = [read('train-images.idx3-ubyte.gz'), read('train-labels.idx1-ubyte.gz')];
if (which === 'workload') {
  process.stdout.write(workload(images, labels, Number(count)));
} else if (which === 'design') {
  console.log(design(images, labels));
} else {
  console.log(reference(images, labels));
}
