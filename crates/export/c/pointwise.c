
/* The 1 x 1 half of a separable conv: signed middle codes in, unsigned codes out. */
static void pointwise(const int8_t *in, unsigned channels, unsigned positions, uint8_t *out,
                      unsigned filters, const int8_t *values, const uint8_t *mask,
                      const int32_t *bias, const int32_t *multiplier, const uint8_t *shift)
{
    weights_t filter = weights_at_start(values, mask), w = filter;
    unsigned co, p, ci;
    for (co = 0; co < filters; co++) {
        int32_t b = READ_I32(bias + co), m = READ_I32(multiplier + co);
        uint8_t s = READ_U8(shift + co);
        for (p = 0; p < positions; p++) {
            int32_t acc = b, v;
            w = filter;
            for (ci = 0; ci < channels; ci++) {
                int8_t weight = next_weight(&w);
                if (weight != 0) {
                    acc += (int32_t)weight * in[ci * positions + p];
                }
            }
            v = requantize(acc, m, s);
            out[co * positions + p] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
        }
        filter = w;
    }
}
