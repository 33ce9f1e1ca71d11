
/* The last dense layer: its outputs, int8 codes in [-128, 127] as TensorFlow Lite's, are the
 * logits. Returns the index of the largest (the first on ties) and stores every logit when
 * `logits` is not NULL. */
static int classifier(const uint8_t *in, unsigned inputs, unsigned units, int32_t *logits,
                      const int8_t *values, const uint8_t *mask, const int32_t *bias,
                      const int32_t *multiplier, const uint8_t *shift)
{
    weights_t w = weights_at_start(values, mask);
    unsigned o;
    int best = 0;
    int32_t best_logit = 0;
    for (o = 0; o < units; o++) {
        int32_t v = dense_output(&w, in, inputs, o, bias, multiplier, shift);
        v = v < -128 ? -128 : v > 127 ? 127 : v;
        if (logits != NULL) {
            logits[o] = v;
        }
        if (o == 0 || v > best_logit) {
            best = (int)o;
            best_logit = v;
        }
    }
    return best;
}
