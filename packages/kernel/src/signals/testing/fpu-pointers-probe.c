/* Whether this CPU's FXSAVE reports the x87 last-instruction pointers (FOP,
 * FIP, FDP) when no x87 exception is pending (FSW.ES clear). AMD CPUs store
 * them only while FSW.ES is set (AMD APM vol. 5, FXSAVE; Linux's
 * X86_BUG_FXSAVE_LEAK), Intel CPUs always. Loads pointers with FXRSTOR,
 * saves with FXSAVE, prints "KEPT 1" if they came back, else "KEPT 0". */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static unsigned char image[512] __attribute__((aligned(16)));

int main(void) {
  const uint64_t ptr = 0x00007fff12345678ull;
  const uint16_t fop = 0x312;
  asm volatile("fxsave64 %0" : "=m"(image));
  image[2] = image[3] = 0; /* FSW: no exception pending */
  memcpy(image + 6, &fop, 2);
  memcpy(image + 8, &ptr, 8);
  memcpy(image + 16, &ptr, 8);
  asm volatile("fxrstor64 %0" : : "m"(image));
  memset(image, 0, sizeof image);
  asm volatile("fxsave64 %0" : "=m"(image));
  uint64_t fip, fdp;
  uint16_t fop2;
  memcpy(&fop2, image + 6, 2);
  memcpy(&fip, image + 8, 8);
  memcpy(&fdp, image + 16, 8);
  printf("KEPT %d\n", fop2 == fop && fip == ptr && fdp == ptr);
  return 0;
}
