/* ATmega328P harness for `sparse-explorer verify`: copies each image of images.h from flash
 * into the model's arena, prints "R class logit..." over UART0 under simavr, then the stack
 * peak: RAM above the static data is painted before main and scanned at the end. */
#include <avr/interrupt.h>
#include <avr/io.h>
#include <avr/pgmspace.h>
#include <avr/sleep.h>
#include <stdio.h>
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

static int uart_putchar(char c, FILE *stream)
{
    (void)stream;
    loop_until_bit_is_set(UCSR0A, UDRE0);
    UDR0 = c;
    return 0;
}

static FILE uart = FDEV_SETUP_STREAM(uart_putchar, NULL, _FDEV_SETUP_WRITE);

int main(void)
{
    int32_t logits[MODEL_CLASSES];
    unsigned i, k, untouched = 0;
    uint8_t *p;
    UCSR0A = _BV(U2X0);
    UBRR0 = 16;
    UCSR0B = _BV(TXEN0);
    stdout = &uart;
    for (i = 0; i < VERIFY_IMAGES; i++) {
        memcpy_P(model_input(), verify_images + i * MODEL_INPUT_SIZE, MODEL_INPUT_SIZE);
        printf_P(PSTR("R %d"), model_logits(model_input(), logits));
        for (k = 0; k < MODEL_CLASSES; k++) {
            printf_P(PSTR(" %ld"), (long)logits[k]);
        }
        printf_P(PSTR("\n"));
    }
    for (p = &_end; p <= &__stack && *p == 0xC5; p++) {
        untouched++;
    }
    printf_P(PSTR("STACK %u\n"), (unsigned)(&__stack - &_end + 1) - untouched);
    sleep_enable();
    cli();
    sleep_cpu();
    return 0;
}
