/* Integer-only int8 inference: the same arithmetic as sparse-core's quant.rs evaluator,
 * so the predictions and logits here equal the explorer's exactly. No malloc, no floats. */
#include <limits.h>
#include <string.h>
#include "model.h"

/* Sizes and indices of activations are unsigned int: 16 bits on AVR, where every arena that
 * fits is below 65536 bytes, and so fast there; 32 bits on a Cortex-M. */
#if UINT_MAX < MODEL_LARGEST_INDEX
#error "this model's activations are too large for this target's unsigned int"
#endif

/* A weight's position in its tensor: unsigned int too, unless a tensor holds more weights than
 * that counts (on AVR, a pruned layer of over 65,535 weights, stored as its non-zeros and a
 * bitmap, can fit the flash). */
#if UINT_MAX < MODEL_LARGEST_TENSOR
typedef unsigned long weight_index;
#else
typedef unsigned weight_index;
#endif

/* A build may define MODEL_LAYER_HOOK as the name of a function `void f(unsigned layer)`,
 * which model_logits then calls after each layer but the last (layer counts from 1): a
 * harness uses it to time the layers. Without it the calls are not there. */
#ifdef MODEL_LAYER_HOOK
void MODEL_LAYER_HOOK(unsigned layer);
#define MODEL_LAYER_DONE(layer) MODEL_LAYER_HOOK(layer)
#else
#define MODEL_LAYER_DONE(layer) ((void)0)
#endif

/* Weights live in flash. On AVR, const data would be copied to SRAM at start-up, so it is
 * put in program memory and read with pgm_read_*; elsewhere a const array is in flash. */
#if defined(__AVR__)
#include <avr/pgmspace.h>
#define MODEL_FLASH PROGMEM
#define READ_I8(p) ((int8_t)pgm_read_byte(p))
#define READ_U8(p) ((uint8_t)pgm_read_byte(p))
#define READ_I32(p) ((int32_t)pgm_read_dword(p))
#else
#define MODEL_FLASH
#define READ_I8(p) (*(p))
#define READ_U8(p) (*(p))
#define READ_I32(p) (*(p))
#endif

/* acc * multiplier * 2^-shift rounded as TensorFlow Lite's MultiplyByQuantizedMultiplier
 * rounds it, so that a .tflite export computes the same codes: a shift below 31 first shifts
 * acc left; a rounding doubling high multiply, (acc * multiplier +- 2^30) / 2^31 towards zero;
 * then a division by the remaining power of two, ties away from zero. No negative number is
 * shifted. A zero multiplier (a channel whose every output was zero in calibration) gives
 * zero. */
static int32_t requantize(int32_t acc, int32_t multiplier, uint8_t shift)
{
    int exponent = (int)shift - 31;
    int64_t t;
    int32_t high, mask, remainder, threshold, q;
    if (multiplier == 0) {
        return 0;
    }
    if (exponent < 0) {
        acc = (int32_t)((uint32_t)acc << -exponent);
        exponent = 0;
    }
    t = (int64_t)acc * multiplier;
    t += t >= 0 ? ((int64_t)1 << 30) : 1 - ((int64_t)1 << 30);
    high = (int32_t)(t >= 0 ? t >> 31 : -((-t) >> 31));
    mask = (int32_t)(((int64_t)1 << exponent) - 1);
    remainder = (int32_t)((uint32_t)high & (uint32_t)mask);
    threshold = (mask >> 1) + (high < 0 ? 1 : 0);
    q = (int32_t)(high >= 0 ? high >> exponent : -((-(int64_t)high - 1) >> exponent) - 1);
    return q + (remainder > threshold ? 1 : 0);
}

/* Reads a weight tensor in order, one weight per call. A dense tensor stores every weight;
 * a sparse one stores its non-zero weights and a bitmap, bit i (least significant first)
 * set when weight i is non-zero. */
typedef struct {
    const int8_t *values;
    const uint8_t *mask;
    weight_index index;
    weight_index value;
} weights_t;

static weights_t weights_at_start(const int8_t *values, const uint8_t *mask)
{
    weights_t w;
    w.values = values;
    w.mask = mask;
    w.index = 0;
    w.value = 0;
    return w;
}

static int8_t next_weight(weights_t *w)
{
    weight_index i = w->index++;
    if (w->mask == NULL) {
        return READ_I8(w->values + i);
    }
    if ((READ_U8(w->mask + (i >> 3)) >> (i & 7u)) & 1u) {
        return READ_I8(w->values + w->value++);
    }
    return 0;
}

/* Output `o` of a dense layer, requantised but not clamped: its bias plus its row of weights
 * (read from `w`, which then stands at the next row) times the inputs. Every model ends in a
 * dense classifier, so this is always used. */
static int32_t dense_output(weights_t *w, const uint8_t *in, unsigned inputs, unsigned o,
                            const int32_t *bias, const int32_t *multiplier,
                            const uint8_t *shift)
{
    int32_t acc = READ_I32(bias + o);
    unsigned i;
    for (i = 0; i < inputs; i++) {
        int8_t weight = next_weight(w);
        if (weight != 0) {
            acc += (int32_t)weight * in[i];
        }
    }
    return requantize(acc, READ_I32(multiplier + o), READ_U8(shift + o));
}
