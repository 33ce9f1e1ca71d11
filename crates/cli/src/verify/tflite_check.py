"""The TFLite stage of `sparse-explorer verify`: runs model.tflite with LiteRT and with
TensorFlow Lite for Microcontrollers on every raw image of a file (channel-first bytes, given
to TFLite as pixel - 128 in [1, H, W, C]) and prints, per image and interpreter, "L" or "M",
the index of the first largest logit, then the logits; then TFLM's recording allocator prints
its arena use on stderr.

Usage: tflite_check.py MODEL.tflite IMAGES.bin CHANNELS HEIGHT WIDTH ARENA_BYTES"""

import sys

import numpy as np
from ai_edge_litert.interpreter import Interpreter
from tflite_micro.python.tflite_micro import runtime

model, images = sys.argv[1], sys.argv[2]
channels, height, width, arena = map(int, sys.argv[3:7])
data = np.fromfile(images, dtype=np.uint8).reshape(-1, channels, height, width)


def prepared(image):
    return (image.astype(np.int16) - 128).astype(np.int8).transpose(1, 2, 0)[None]


def line(tag, logits):
    print(tag, int(np.argmax(logits)), *(int(v) for v in logits))


lite = Interpreter(model_path=model)
lite.allocate_tensors()
lite_in = lite.get_input_details()[0]["index"]
lite_out = lite.get_output_details()[0]["index"]
for image in data:
    lite.set_tensor(lite_in, prepared(image))
    lite.invoke()
    line("L", lite.get_tensor(lite_out).reshape(-1))

micro = runtime.Interpreter.from_file(model, arena_size=arena)
for image in data:
    micro.set_input(prepared(image), 0)
    micro.invoke()
    line("M", micro.get_output(0).reshape(-1))
sys.stdout.flush()
micro.print_allocations()
