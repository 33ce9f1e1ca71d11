/* ATmega328P harness for `sparse-explorer verify`: classifies a blank image, then each image
 * of images.h (copied from flash into the model's arena), printing "B|R class logit..." over
 * UART0 under simavr, then the stack peak: RAM above the static data is painted before main
 * and scanned at the end. No printf, so a model that fills the Uno still links. */
#include <avr/interrupt.h>
#include <avr/io.h>
#include <avr/pgmspace.h>
#include <avr/sleep.h>
#include <string.h>
#include "model.h"
#include "images.h"

extern uint8_t _end, __stack;

void paint_stack(void) __attribute__((naked, used, section(".init3")));
void paint_stack(void)
{
    uint8_t *p;
    for (p = &_end; p <= &__stack; p++) {
        *p = 0xC5;
    }
}

static void put_char(char c)
{
    loop_until_bit_is_set(UCSR0A, UDRE0);
    UDR0 = c;
}

static void put_long(long value)
{
    char digits[10];
    unsigned n = 0;
    unsigned long u = value < 0 ? 0UL - (unsigned long)value : (unsigned long)value;
    if (value < 0) {
        put_char('-');
    }
    do {
        digits[n++] = (char)('0' + u % 10u);
        u /= 10u;
    } while (u != 0);
    while (n != 0) {
        put_char(digits[--n]);
    }
}

/* Classifies the image in the arena and prints the line `tag class logit...`. */
static void classify(char tag)
{
    int32_t logits[MODEL_CLASSES];
    unsigned k;
    int label = model_logits(model_input(), logits);
    put_char(tag);
    put_char(' ');
    put_long(label);
    for (k = 0; k < MODEL_CLASSES; k++) {
        put_char(' ');
        put_long(logits[k]);
    }
    put_char('\n');
}

int main(void)
{
    unsigned untouched = 0;
    uint8_t *p;
    UCSR0A = _BV(U2X0);
    UBRR0 = 16;
    UCSR0B = _BV(TXEN0);
    memset(model_input(), 0, MODEL_INPUT_SIZE);
    classify('B');
#if VERIFY_IMAGES > 0
    {
        unsigned i;
        for (i = 0; i < VERIFY_IMAGES; i++) {
            memcpy_P(model_input(), verify_images + i * MODEL_INPUT_SIZE, MODEL_INPUT_SIZE);
            classify('R');
        }
    }
#endif
    for (p = &_end; p <= &__stack && *p == 0xC5; p++) {
        untouched++;
    }
    put_char('S');
    put_char(' ');
    put_long((long)(&__stack - &_end + 1) - (long)untouched);
    put_char('\n');
    sleep_enable();
    cli();
    sleep_cpu();
    return 0;
}
