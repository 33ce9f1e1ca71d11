/* Host harness for `sparse-explorer verify`: runs model.c on every image of a file of raw
 * MODEL_INPUT_SIZE-byte images and prints "R class logit..." per image. */
#include <stdio.h>
#include "model.h"

int main(int argc, char **argv)
{
    static uint8_t image[MODEL_INPUT_SIZE];
    int32_t logits[MODEL_CLASSES];
    unsigned k;
    FILE *images;
    if (argc != 2 || (images = fopen(argv[1], "rb")) == NULL) {
        fprintf(stderr, "usage: host IMAGES.bin\n");
        return 2;
    }
    while (fread(image, 1, MODEL_INPUT_SIZE, images) == MODEL_INPUT_SIZE) {
        printf("R %d", model_logits(image, logits));
        for (k = 0; k < MODEL_CLASSES; k++) {
            printf(" %ld", (long)logits[k]);
        }
        printf("\n");
    }
    fclose(images);
    return 0;
}
