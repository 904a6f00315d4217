/*
 * The TPM PCRs bulkhead extends (docs/measured-boot.md has the table).
 * Shared by bulkhead (hypervisor/measure.c) and the verifiers in tools/bh,
 * which quote and replay exactly these.
 */
#ifndef BULKHEAD_PCRS_H
#define BULKHEAD_PCRS_H

#define MEASURE_PCR_BULKHEAD 11 /* bulkhead's binary and command line */
#define MEASURE_PCR_POLICY 12   /* the Flask policy: at start and every reload */
#define MEASURE_PCR_IMAGES 13   /* each domain's kernel and ramdisk */
#define MEASURE_PCR_DOMCFG 14   /* each domain's command line and config */

#endif
