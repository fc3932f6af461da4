/**
 * The CPU and memory combinations Fargate offers, and the other task limits a
 * job definition must respect. Pure: no CDK imports.
 */
import type { Problem } from '../shared/validation';

/** Memory choices (MiB) for one CPU size. */
interface CpuSize {
  readonly cpu: number;
  readonly minMemory: number;
  readonly maxMemory: number;
  readonly step: number;
  /** Extra memory values outside the range (0.25 vCPU offers 512 then 1024 steps). */
  readonly extra?: number[];
  readonly linuxOnly: boolean;
}

// Amazon ECS developer guide, "Task CPU and memory" (Fargate).
const SIZES: readonly CpuSize[] = [
  { cpu: 256, minMemory: 1024, maxMemory: 2048, step: 1024, extra: [512], linuxOnly: true },
  { cpu: 512, minMemory: 1024, maxMemory: 4096, step: 1024, linuxOnly: true },
  { cpu: 1024, minMemory: 2048, maxMemory: 8192, step: 1024, linuxOnly: false },
  { cpu: 2048, minMemory: 4096, maxMemory: 16384, step: 1024, linuxOnly: false },
  { cpu: 4096, minMemory: 8192, maxMemory: 30720, step: 1024, linuxOnly: false },
  { cpu: 8192, minMemory: 16384, maxMemory: 61440, step: 4096, linuxOnly: true },
  { cpu: 16384, minMemory: 32768, maxMemory: 122880, step: 8192, linuxOnly: true },
];

export const MIN_EPHEMERAL_STORAGE_GIB = 21;
export const MAX_EPHEMERAL_STORAGE_GIB = 200;

function memoryChoices(size: CpuSize): number[] {
  const choices = [...(size.extra ?? [])];
  for (let m = size.minMemory; m <= size.maxMemory; m += size.step) choices.push(m);
  return choices;
}

function describeChoices(size: CpuSize): string {
  const extra = size.extra && size.extra.length > 0 ? `${size.extra.join(', ')} or ` : '';
  return `${extra}${size.minMemory} to ${size.maxMemory} MiB in steps of ${size.step}`;
}

/** Problems with a CPU/memory pair that Fargate does not offer (for Linux, or Windows when `windows`). */
export function taskSizeProblems(cpu: number, memoryMiB: number, windows: boolean): Problem[] {
  const sizes = SIZES.filter((s) => !windows || !s.linuxOnly);
  const offered = sizes.map((s) => s.cpu);
  const size = sizes.find((s) => s.cpu === cpu);
  if (!size) {
    return [{
      property: 'cpu',
      value: cpu,
      reason: `Fargate${windows ? ' (Windows)' : ''} offers ${offered.join(', ')} CPU units only`,
      fix: `pick one of ${offered.join(', ')} (1024 units = 1 vCPU)`,
    }];
  }
  const choices = memoryChoices(size);
  if (choices.includes(memoryMiB)) return [];
  const nearest = choices.reduce((best, m) => (Math.abs(m - memoryMiB) < Math.abs(best - memoryMiB) ? m : best));
  const fitting = sizes.filter((s) => memoryChoices(s).includes(memoryMiB)).map((s) => s.cpu);
  return [{
    property: 'memoryLimitMiB',
    value: memoryMiB,
    reason: `Fargate does not offer ${memoryMiB} MiB with ${cpu} CPU units; it offers ${describeChoices(size)}`,
    fix: `use memoryLimitMiB ${nearest}${fitting.length > 0 ? `, or cpu ${fitting.join(' or ')} for ${memoryMiB} MiB` : ''}`,
  }];
}

/** Problems with the ephemeral storage size (Fargate platform 1.4.0+). */
export function ephemeralStorageProblems(gib: number): Problem[] {
  if (Number.isInteger(gib) && gib >= MIN_EPHEMERAL_STORAGE_GIB && gib <= MAX_EPHEMERAL_STORAGE_GIB) return [];
  return [{
    property: 'ephemeralStorageGiB',
    value: gib,
    reason: `Fargate takes a whole number of GiB from ${MIN_EPHEMERAL_STORAGE_GIB} to ${MAX_EPHEMERAL_STORAGE_GIB}`,
    fix: `give ${MIN_EPHEMERAL_STORAGE_GIB} to ${MAX_EPHEMERAL_STORAGE_GIB}, or leave it out for the default 20 GiB`,
  }];
}
