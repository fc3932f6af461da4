/**
 * The pure planning of FargateSpotRunner: capacity strategies against the ECS
 * rules, platforms Fargate Spot can run, and the CPU/memory sizes Fargate offers.
 */
import { CapacityStrategy, FargateCapacityProvider, planCapacity, platformProblems } from '../src/fargate-spot-runner/capacity-strategy';
import { ephemeralStorageProblems, taskSizeProblems } from '../src/fargate-spot-runner/task-size';
import { describeProblem } from '../src/shared/validation';

const { FARGATE, FARGATE_SPOT } = FargateCapacityProvider;
const messages = (problems: Parameters<typeof describeProblem>[0][]) => problems.map(describeProblem);

describe('capacity strategies', () => {
  test('Spot with on-demand fallback is Spot first, then FARGATE once', () => {
    const plan = planCapacity(CapacityStrategy.spotWithOnDemandFallback(), 'capacity');
    expect(plan).toEqual({ primary: [{ capacityProvider: FARGATE_SPOT, weight: 1 }], fallbackToOnDemand: true, usesSpot: true, problems: [] });
  });

  test('Spot only has no fallback', () => {
    expect(planCapacity(CapacityStrategy.spotOnly(), 'capacity')).toEqual(expect.objectContaining({ fallbackToOnDemand: false, usesSpot: true }));
  });

  test('on-demand only uses no Spot and needs no fallback', () => {
    expect(planCapacity(CapacityStrategy.onDemandOnly(), 'capacity')).toEqual(expect.objectContaining({ fallbackToOnDemand: false, usesSpot: false }));
  });

  test('a weighted mix keeps its base and weights; weight defaults to 1', () => {
    const plan = planCapacity(CapacityStrategy.weighted({ shares: [{ capacityProvider: FARGATE, base: 2 }, { capacityProvider: FARGATE_SPOT, weight: 4 }] }), 'capacity');
    expect(plan.problems).toEqual([]);
    expect(plan.primary).toEqual([{ capacityProvider: FARGATE, weight: 1, base: 2 }, { capacityProvider: FARGATE_SPOT, weight: 4 }]);
    expect(plan.fallbackToOnDemand).toBe(true);
  });

  test('a weighted mix without Spot weight has nothing to fall back from', () => {
    const plan = planCapacity(CapacityStrategy.weighted({ shares: [{ capacityProvider: FARGATE, weight: 1 }, { capacityProvider: FARGATE_SPOT, weight: 0 }] }), 'capacity');
    expect(plan).toEqual(expect.objectContaining({ usesSpot: false, fallbackToOnDemand: false, problems: [] }));
  });

  test('error: weights all zero', () => {
    const plan = planCapacity(CapacityStrategy.weighted({ shares: [{ capacityProvider: FARGATE, weight: 0 }, { capacityProvider: FARGATE_SPOT, weight: 0 }] }), 'capacity');
    expect(messages(plan.problems)).toEqual([
      'capacity.shares = ["FARGATE weight 0","FARGATE_SPOT weight 0"]: every weight is 0, so ECS has nowhere to place the job. '
      + 'Fix: give at least one share a weight above 0, e.g. FARGATE_SPOT weight 3 and FARGATE weight 1',
    ]);
  });

  test('error: two items with a base', () => {
    const plan = planCapacity(CapacityStrategy.weighted({ shares: [{ capacityProvider: FARGATE, base: 1 }, { capacityProvider: FARGATE_SPOT, base: 2 }] }), 'capacity');
    expect(messages(plan.problems)).toEqual([
      'capacity.shares = ["shares[0] FARGATE base 1","shares[1] FARGATE_SPOT base 2"]: ECS lets only one item of a capacity provider strategy set base. '
      + 'Fix: keep base on one share (e.g. shares[0]) and remove it from the others',
    ]);
  });

  test('errors: no shares, duplicates, out-of-range weight and base, unknown provider', () => {
    expect(messages(planCapacity(CapacityStrategy.weighted({ shares: [] }), 'capacity').problems)[0]).toContain('needs at least one item');
    const plan = planCapacity(CapacityStrategy.weighted({
      shares: [
        { capacityProvider: FARGATE_SPOT, weight: 1001 },
        { capacityProvider: FARGATE_SPOT, weight: 1.5, base: -1 },
        { capacityProvider: 'EC2' as FargateCapacityProvider },
      ],
    }), 'capacity');
    expect(messages(plan.problems)).toEqual([
      expect.stringContaining('capacity.shares[0].weight = 1001: ECS takes a whole number from 0 to 1000'),
      expect.stringContaining('capacity.shares[1] = "FARGATE_SPOT": duplicate of capacity.shares[0]'),
      expect.stringContaining('capacity.shares[1].weight = 1.5'),
      expect.stringContaining('capacity.shares[1].base = -1'),
      expect.stringContaining('capacity.shares[2].capacityProvider = "EC2": Fargate jobs run on FARGATE or FARGATE_SPOT only'),
    ]);
  });
});

describe('platforms', () => {
  test('Linux on X86_64 and ARM64 may use Spot', () => {
    expect(platformProblems({ cpuArchitecture: 'X86_64', operatingSystemFamily: 'LINUX', windows: false }, true, 'capacity')).toEqual([]);
    expect(platformProblems({ cpuArchitecture: 'ARM64', operatingSystemFamily: 'LINUX', windows: false }, true, 'capacity')).toEqual([]);
  });

  test('error: Windows with Spot', () => {
    expect(messages(platformProblems({ cpuArchitecture: 'X86_64', operatingSystemFamily: 'WINDOWS_SERVER_2022_CORE', windows: true }, true, 'capacity'))).toEqual([
      'capacity = "FARGATE_SPOT with WINDOWS_SERVER_2022_CORE": Fargate Spot runs Linux tasks only (platform 1.3.0 and later); '
      + 'Windows tasks cannot be placed on it. Fix: use CapacityStrategy.onDemandOnly() for Windows jobs, or a Linux image',
    ]);
  });

  test('errors: ARM64 with Windows (and with Spot), unknown architecture', () => {
    const problems = messages(platformProblems({ cpuArchitecture: 'ARM64', operatingSystemFamily: 'WINDOWS_SERVER_2019_FULL', windows: true }, true, 'capacity'));
    expect(problems).toEqual([
      expect.stringContaining('cpuArchitecture = "ARM64 with WINDOWS_SERVER_2019_FULL": Fargate runs Windows containers on X86_64 only'),
      expect.stringContaining('Fargate Spot runs Linux tasks only'),
    ]);
    expect(messages(platformProblems({ cpuArchitecture: 'MIPS', operatingSystemFamily: 'LINUX', windows: false }, false, 'capacity'))[0]).toContain('X86_64 and ARM64 tasks only');
  });

  test('Windows on FARGATE alone is fine', () => {
    expect(platformProblems({ cpuArchitecture: 'X86_64', operatingSystemFamily: 'WINDOWS_SERVER_2022_CORE', windows: true }, false, 'capacity')).toEqual([]);
  });
});

describe('task sizes', () => {
  test.each([
    [256, 512], [256, 2048], [512, 4096], [1024, 2048], [2048, 16384], [4096, 30720], [8192, 61440], [16384, 122880],
  ])('Fargate offers %d CPU with %d MiB', (cpu, memory) => {
    expect(taskSizeProblems(cpu, memory, false)).toEqual([]);
  });

  test('error: a memory size Fargate does not offer for the CPU, with the nearest fit and the CPUs that offer it', () => {
    expect(messages(taskSizeProblems(1024, 1024, false))).toEqual([
      'memoryLimitMiB = 1024: Fargate does not offer 1024 MiB with 1024 CPU units; it offers 2048 to 8192 MiB in steps of 1024. '
      + 'Fix: use memoryLimitMiB 2048, or cpu 256 or 512 for 1024 MiB',
    ]);
    expect(messages(taskSizeProblems(8192, 18432, false))[0]).toContain('16384 to 61440 MiB in steps of 4096');
  });

  test('error: a CPU size Fargate does not offer', () => {
    expect(messages(taskSizeProblems(3072, 8192, false))).toEqual([
      'cpu = 3072: Fargate offers 256, 512, 1024, 2048, 4096, 8192, 16384 CPU units only. Fix: pick one of 256, 512, 1024, 2048, 4096, 8192, 16384 (1024 units = 1 vCPU)',
    ]);
  });

  test('Windows offers 1, 2 and 4 vCPU only', () => {
    expect(messages(taskSizeProblems(512, 1024, true))[0]).toContain('Fargate (Windows) offers 1024, 2048, 4096 CPU units only');
    expect(taskSizeProblems(1024, 2048, true)).toEqual([]);
  });

  test('ephemeral storage is 21 to 200 GiB', () => {
    expect(ephemeralStorageProblems(21)).toEqual([]);
    expect(ephemeralStorageProblems(200)).toEqual([]);
    expect(messages(ephemeralStorageProblems(201))[0]).toContain('ephemeralStorageGiB = 201: Fargate takes a whole number of GiB from 21 to 200');
  });
});
