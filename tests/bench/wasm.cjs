// Runs the wasm build of the trainer's reference benchmark in node (see `cargo xtask bench`):
// node wasm.cjs <wasm-bindgen nodejs module> <folder with the MNIST training files>
const fs = require('node:fs');
const path = require('node:path');
const [modulePath, mnist] = process.argv.slice(2);
const { reference } = require(path.resolve(modulePath));
const read = (name) => fs.readFileSync(path.join(mnist, name));
console.log(reference(read('train-images.idx3-ubyte.gz'), read('train-labels.idx1-ubyte.gz')));
