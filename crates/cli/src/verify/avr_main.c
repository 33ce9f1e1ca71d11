/* ATmega328P harness for `sparse-explorer verify`: classifies a blank image, then each image
 * of images.h (copied from flash into the model's arena), printing "B|R class logit..." over
 * UART0 under simavr, then the stack peak ("S bytes"): RAM above the static data is painted
 * before main and scanned after these runs. Then it times the same inferences again, printing
 * "T" and the cycles of each layer (the model calls verify_layer_done after each layer but the
 * last; the printing is not timed): Timer1 counts CPU cycles and its overflow interrupt
 * extends it to 32 bits (simavr's timers advance with its cycle count); "K cycles" first
 * times a busy wait of exactly 1 ms (F_CPU / 1000 cycles), which checks that the count is of
 * CPU cycles. The interrupt's stack frame comes after the scan, so it is not in the peak. No
 * printf, so a model that fills the Uno still links. */
#include <avr/interrupt.h>
#include <avr/io.h>
#include <avr/pgmspace.h>
#include <avr/sleep.h>
#include <string.h>
#include <util/delay.h>
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

static volatile uint16_t timer_overflows;
static uint8_t timing;
static uint32_t layer_start, overhead;

void verify_layer_done(unsigned layer);

ISR(TIMER1_OVF_vect)
{
    timer_overflows++;
}

/* CPU cycles since Timer1 started: its count, and its overflows as the high half (one not yet
 * serviced is counted when the count has wrapped past it). */
static uint32_t cycles_now(void)
{
    uint8_t sreg = SREG;
    uint16_t low, high;
    cli();
    low = TCNT1;
    high = timer_overflows;
    if ((TIFR1 & _BV(TOV1)) && low < 0x8000u) {
        high++;
    }
    SREG = sreg;
    return ((uint32_t)high << 16) | low;
}

void verify_layer_done(unsigned layer)
{
    uint32_t now = cycles_now();
    (void)layer;
    if (timing) {
        put_char(' ');
        put_long((long)(now - layer_start - overhead));
        layer_start = cycles_now();
    }
}

/* Copies image `i` of images.h into the arena, or zeros for `i` < 0 (the blank image). */
static void load_image(int i)
{
    if (i < 0) {
        memset(model_input(), 0, MODEL_INPUT_SIZE);
    } else {
        memcpy_P(model_input(), verify_images + (unsigned long)i * MODEL_INPUT_SIZE,
                 MODEL_INPUT_SIZE);
    }
}

/* Classifies the image in the arena and prints the line `tag class logit...`. Never inlined,
 * so that its logits live on the stack only while it runs, as a caller's would. */
static __attribute__((noinline)) void classify(char tag)
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

/* Prints the CPU cycles of each layer of one inference of the image in the arena, less
 * `overhead` (what reading the timer twice costs). */
static __attribute__((noinline)) void timed_inference(void)
{
    int32_t logits[MODEL_CLASSES];
    uint32_t now;
    layer_start = cycles_now();
    (void)model_logits(model_input(), logits);
    now = cycles_now();
    put_char(' ');
    put_long((long)(now - layer_start - overhead));
}

int main(void)
{
    unsigned untouched = 0;
    uint8_t *p;
    int i;
    UCSR0A = _BV(U2X0);
    UBRR0 = 16;
    UCSR0B = _BV(TXEN0);
    for (i = -1; i < (int)VERIFY_IMAGES; i++) {
        load_image(i);
        classify(i < 0 ? 'B' : 'R');
    }
    for (p = &_end; p <= &__stack && *p == 0xC5; p++) {
        untouched++;
    }
    put_char('S');
    put_char(' ');
    put_long((long)(&__stack - &_end + 1) - (long)untouched);
    put_char('\n');

    TCCR1A = 0;
    TCNT1 = 0;
    TIMSK1 = _BV(TOIE1);
    TCCR1B = _BV(CS10);
    sei();
    overhead = cycles_now();
    overhead = cycles_now() - overhead;
    {
        uint32_t start = cycles_now();
        _delay_ms(1);
        start = cycles_now() - start - overhead;
        put_char('K');
        put_char(' ');
        put_long((long)start);
        put_char('\n');
    }
    timing = 1;
    for (i = -1; i < (int)VERIFY_IMAGES; i++) {
        load_image(i);
        put_char('T');
        timed_inference();
        put_char('\n');
    }
    sleep_enable();
    cli();
    sleep_cpu();
    return 0;
}
