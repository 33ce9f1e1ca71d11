/* Cortex-M harness for `sparse-explorer verify`: runs model.c on the images of images.h
 * under qemu-system-arm, printing "R class logit..." per image over semihosting. Then it
 * times the blank image and each image again, printing "T" and the SysTick ticks of each
 * layer (the model calls verify_layer_done after each layer but the last; the printing is not
 * timed). Under qemu's -icount shift=0 every instruction advances the clock 1 ns, so a tick
 * of SysTick at F Hz is 10^9 / F instructions; "K ticks" first times a loop of exactly
 * CALIBRATION_INSTRUCTIONS instructions, which checks that. SysTick's interrupt counts its
 * wraps, extending it past 24 bits. */
#include <stdio.h>
#include <string.h>
#include "model.h"
#include "images.h"

#define SYST_CSR (*(volatile uint32_t *)0xE000E010u)
#define SYST_RVR (*(volatile uint32_t *)0xE000E014u)
#define SYST_CVR (*(volatile uint32_t *)0xE000E018u)
#define SYST_MAX 0xFFFFFFu
#define CALIBRATION_LOOPS 100000u
#define CALIBRATION_INSTRUCTIONS (2u * CALIBRATION_LOOPS)
/* A flag-setting subtract: GCC hands Thumb-1 inline assembly over in divided syntax. */
#if defined(__ARM_ARCH_6M__)
#define SUBTRACT_ONE "sub %0, #1"
#else
#define SUBTRACT_ONE "subs %0, %0, #1"
#endif

void verify_layer_done(unsigned layer);
void SysTick_Handler(void);

static volatile uint32_t wraps;
static int timing;
static uint32_t layer_start, overhead;

void SysTick_Handler(void)
{
    wraps++;
}

/* SysTick ticks since it started: its wraps and its count (down from SYST_MAX), read again
 * when a wrap came between the two reads. */
static uint32_t ticks_now(void)
{
    uint32_t w, value;
    do {
        w = wraps;
        value = SYST_CVR;
    } while (w != wraps);
    return w * (SYST_MAX + 1u) + (SYST_MAX - value);
}

void verify_layer_done(unsigned layer)
{
    uint32_t now = ticks_now();
    (void)layer;
    if (timing) {
        printf(" %lu", (unsigned long)(now - layer_start - overhead));
        layer_start = ticks_now();
    }
}

static void print_logits(char tag, const uint8_t *image)
{
    int32_t logits[MODEL_CLASSES];
    unsigned k;
    printf("%c %d", tag, model_logits(image, logits));
    for (k = 0; k < MODEL_CLASSES; k++) {
        printf(" %ld", (long)logits[k]);
    }
    printf("\n");
}

/* Times image `i` of images.h, or the blank image for `i` < 0, layer by layer. */
static void time_image(int i)
{
    int32_t logits[MODEL_CLASSES];
    uint32_t now;
    if (i < 0) {
        memset(model_input(), 0, MODEL_INPUT_SIZE);
    } else {
        memcpy(model_input(), verify_images + (unsigned)i * MODEL_INPUT_SIZE, MODEL_INPUT_SIZE);
    }
    printf("T");
    layer_start = ticks_now();
    (void)model_logits(model_input(), logits);
    now = ticks_now();
    printf(" %lu\n", (unsigned long)(now - layer_start - overhead));
}

int main(void)
{
    uint32_t start, n = CALIBRATION_LOOPS;
    int i;
    static uint8_t blank[MODEL_INPUT_SIZE];
    print_logits('B', blank);
    for (i = 0; i < (int)VERIFY_IMAGES; i++) {
        print_logits('R', verify_images + (unsigned)i * MODEL_INPUT_SIZE);
    }
    SYST_RVR = SYST_MAX;
    SYST_CVR = 0;
    SYST_CSR = 7; /* the processor clock, its interrupt, enabled */
    while (SYST_CVR == 0) {
        /* until the first reload: before it the count reads 0, not SYST_MAX */
    }
    overhead = ticks_now();
    overhead = ticks_now() - overhead;
    start = ticks_now();
    __asm__ volatile("1: " SUBTRACT_ONE "\n\tbne 1b" : "+l"(n) : : "cc");
    printf("K %lu\n", (unsigned long)(ticks_now() - start - overhead));
    timing = 1;
    for (i = -1; i < (int)VERIFY_IMAGES; i++) {
        time_image(i);
    }
    printf("DONE\n");
    return 0;
}
