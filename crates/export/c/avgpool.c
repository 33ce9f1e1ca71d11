
/* Average pooling over size x size windows (no padding): the mean code, rounded half up. */
static void avgpool(const uint8_t *in, unsigned channels, unsigned height, unsigned width,
                    uint8_t *out, unsigned out_height, unsigned out_width, unsigned size,
                    unsigned stride)
{
    unsigned c, oy, ox, ky, kx;
    uint32_t n = (uint32_t)size * size;
    for (c = 0; c < channels; c++) {
        for (oy = 0; oy < out_height; oy++) {
            for (ox = 0; ox < out_width; ox++) {
                uint32_t sum = n / 2u;
                for (ky = 0; ky < size; ky++) {
                    const uint8_t *row = in + (c * height + oy * stride + ky) * width + ox * stride;
                    for (kx = 0; kx < size; kx++) {
                        sum += row[kx];
                    }
                }
                *out++ = (uint8_t)(sum / n);
            }
        }
    }
}
