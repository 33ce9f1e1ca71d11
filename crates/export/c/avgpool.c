
/* Average pooling over size x size windows (no padding): the mean code as TensorFlow Lite's
 * int8 pool rounds it, of the signed codes (code - 128), ties away from zero. */
static void avgpool(const uint8_t *in, unsigned channels, unsigned height, unsigned width,
                    uint8_t *out, unsigned out_height, unsigned out_width, unsigned size,
                    unsigned stride)
{
    unsigned c, oy, ox, ky, kx;
    int32_t n = (int32_t)(size * size);
    for (c = 0; c < channels; c++) {
        for (oy = 0; oy < out_height; oy++) {
            for (ox = 0; ox < out_width; ox++) {
                int32_t sum = -128 * n;
                for (ky = 0; ky < size; ky++) {
                    const uint8_t *row = in + (c * height + oy * stride + ky) * width + ox * stride;
                    for (kx = 0; kx < size; kx++) {
                        sum += row[kx];
                    }
                }
                sum = sum > 0 ? (sum + n / 2) / n : (sum - n / 2) / n;
                *out++ = (uint8_t)(sum + 128);
            }
        }
    }
}
