
/* A k x k convolution with zero padding, over every input channel (conv) or one channel per
 * filter (depthwise). Writes unsigned codes after the ReLU (conv) or the signed middle of a
 * separable conv (depthwise). Output is channel-height-width. */
static void conv(const uint8_t *in, unsigned channels, unsigned height, unsigned width,
                 uint8_t *out, unsigned filters, unsigned out_height, unsigned out_width,
                 unsigned kernel, unsigned stride, unsigned pad_top, unsigned pad_left,
                 int depthwise, const int8_t *values, const uint8_t *mask,
                 const int32_t *bias, const int32_t *multiplier, const uint8_t *shift)
{
    weights_t filter = weights_at_start(values, mask), w = filter;
    unsigned per_filter = depthwise ? 1u : channels;
    unsigned co, oy, ox, ci, ky, kx;
    for (co = 0; co < filters; co++) {
        const uint8_t *first = in + (depthwise ? co : 0u) * height * width;
        int32_t b = READ_I32(bias + co), m = READ_I32(multiplier + co);
        uint8_t s = READ_U8(shift + co);
        for (oy = 0; oy < out_height; oy++) {
            for (ox = 0; ox < out_width; ox++) {
                int32_t acc = b, v;
                unsigned at = (co * out_height + oy) * out_width + ox;
                w = filter;
                for (ci = 0; ci < per_filter; ci++) {
                    const uint8_t *plane = first + ci * height * width;
                    for (ky = 0; ky < kernel; ky++) {
                        unsigned iy = oy * stride + ky;
                        int row_inside = iy >= pad_top && iy - pad_top < height;
                        for (kx = 0; kx < kernel; kx++) {
                            unsigned ix = ox * stride + kx;
                            int8_t weight = next_weight(&w);
                            if (weight != 0 && row_inside && ix >= pad_left &&
                                ix - pad_left < width) {
                                acc += (int32_t)weight *
                                       plane[(iy - pad_top) * width + (ix - pad_left)];
                            }
                        }
                    }
                }
                v = requantize(acc, m, s);
                if (depthwise) {
                    v = v < -128 ? -128 : v > 127 ? 127 : v;
                    ((int8_t *)out)[at] = (int8_t)v;
                } else {
                    out[at] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
                }
            }
        }
        filter = w;
    }
}
