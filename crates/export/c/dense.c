
/* A hidden dense layer: unsigned codes in, unsigned codes out after the ReLU. */
static void dense(const uint8_t *in, unsigned inputs, uint8_t *out, unsigned units,
                  const int8_t *values, const uint8_t *mask, const int32_t *bias,
                  const int32_t *multiplier, const uint8_t *shift)
{
    weights_t w = weights_at_start(values, mask);
    unsigned o;
    for (o = 0; o < units; o++) {
        int32_t v = dense_output(&w, in, inputs, o, bias, multiplier, shift);
        out[o] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
    }
}
