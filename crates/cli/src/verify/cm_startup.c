/* Start-up for the Cortex-M harness: the vector table (faults exit with 99; SysTick goes to
 * the harness), and a reset handler that copies .data, zeroes .bss, opens semihosting and
 * exits with main's result (qemu's exit code). */
#include <stdint.h>
#include <stdlib.h>

extern uint32_t _sidata, _sdata, _edata, _sbss, _ebss;
extern void _estack(void); /* a linker symbol: the top of RAM */
extern void initialise_monitor_handles(void);
int main(void);
void Reset_Handler(void);
void SysTick_Handler(void);

static void fault(void)
{
    exit(99);
}

__attribute__((section(".isr_vector"), used)) static void (*const vectors[16])(void) = {
    _estack, Reset_Handler, fault, fault, fault, fault, fault, 0, 0, 0, 0, fault, fault, 0,
    fault, SysTick_Handler,
};

void Reset_Handler(void)
{
    uint32_t *from = &_sidata, *to;
    for (to = &_sdata; to < &_edata;) {
        *to++ = *from++;
    }
    for (to = &_sbss; to < &_ebss;) {
        *to++ = 0;
    }
    initialise_monitor_handles();
    exit(main());
}
