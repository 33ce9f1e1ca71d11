
/* Max pooling over size x size windows (no padding): the largest code of each window. */
static void maxpool(const uint8_t *in, unsigned channels, unsigned height, unsigned width,
                    uint8_t *out, unsigned out_height, unsigned out_width, unsigned size,
                    unsigned stride)
{
    unsigned c, oy, ox, ky, kx;
    for (c = 0; c < channels; c++) {
        for (oy = 0; oy < out_height; oy++) {
            for (ox = 0; ox < out_width; ox++) {
                uint8_t best = 0;
                for (ky = 0; ky < size; ky++) {
                    const uint8_t *row = in + (c * height + oy * stride + ky) * width + ox * stride;
                    for (kx = 0; kx < size; kx++) {
                        best = row[kx] > best ? row[kx] : best;
                    }
                }
                *out++ = best;
            }
        }
    }
}
