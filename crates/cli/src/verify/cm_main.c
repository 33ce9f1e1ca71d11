/* Cortex-M harness for `sparse-explorer verify`: runs model.c on the images of images.h
 * under qemu-system-arm and prints "R class logit..." per image over semihosting. */
#include <stdio.h>
#include "model.h"
#include "images.h"

int main(void)
{
    int32_t logits[MODEL_CLASSES];
    unsigned i, k;
    for (i = 0; i < VERIFY_IMAGES; i++) {
        printf("R %d", model_logits(verify_images + i * MODEL_INPUT_SIZE, logits));
        for (k = 0; k < MODEL_CLASSES; k++) {
            printf(" %ld", (long)logits[k]);
        }
        printf("\n");
    }
    printf("DONE\n");
    return 0;
}
