/**
 * The edges of FargateSpotRunner's pure planning that the behaviour tests leave
 * open: each ECS range at its ends, every problem spelled out in full, ties and
 * far misses of the nearest memory size.
 */
import { CapacityStrategy, FargateCapacityProvider, planCapacity, platformProblems } from '../src/fargate-spot-runner/capacity-strategy';
import { ephemeralStorageProblems, taskSizeProblems } from '../src/fargate-spot-runner/task-size';

const { FARGATE, FARGATE_SPOT } = FargateCapacityProvider;
const weighted = (...shares: Parameters<typeof CapacityStrategy.weighted>[0]['shares']) =>
  planCapacity(CapacityStrategy.weighted({ shares }), 'props.capacity');

describe('capacity strategy factories', () => {
  test('each factory names itself and fixes its shares and fallback', () => {
    const described = (s: CapacityStrategy) => ({ name: s.name, shares: s.shares, fallbackToOnDemand: s.fallbackToOnDemand });
    expect(described(CapacityStrategy.spotOnly())).toEqual({ name: 'spotOnly', shares: [{ capacityProvider: 'FARGATE_SPOT', weight: 1 }], fallbackToOnDemand: false });
    expect(described(CapacityStrategy.spotWithOnDemandFallback()))
      .toEqual({ name: 'spotWithOnDemandFallback', shares: [{ capacityProvider: 'FARGATE_SPOT', weight: 1 }], fallbackToOnDemand: true });
    expect(described(CapacityStrategy.onDemandOnly())).toEqual({ name: 'onDemandOnly', shares: [{ capacityProvider: 'FARGATE', weight: 1 }], fallbackToOnDemand: false });
    const mix = CapacityStrategy.weighted({ shares: [{ capacityProvider: FARGATE_SPOT }], fallbackToOnDemand: false });
    expect(described(mix)).toEqual({ name: 'weighted', shares: [{ capacityProvider: 'FARGATE_SPOT' }], fallbackToOnDemand: false });
    expect(planCapacity(mix, 'c')).toStrictEqual({ primary: [{ capacityProvider: FARGATE_SPOT, weight: 1 }], fallbackToOnDemand: false, usesSpot: true, problems: [] });
  });
});

describe('planCapacity at the edges of the ECS rules', () => {
  test('weight 0 and 1000, base 0 and 100000 are accepted', () => {
    expect(weighted({ capacityProvider: FARGATE, weight: 1000, base: 0 }, { capacityProvider: FARGATE_SPOT, weight: 0 }).problems).toEqual([]);
    expect(weighted({ capacityProvider: FARGATE_SPOT, weight: 1, base: 100000 }).problems).toEqual([]);
  });

  test('weight 1001 or 1.5 and base 100001, 1.5 or -1 are each one problem, spelled out', () => {
    expect(weighted({ capacityProvider: FARGATE_SPOT, weight: 1001 }, { capacityProvider: FARGATE, weight: -1 }).problems).toEqual([
      { property: 'props.capacity.shares[0].weight', value: 1001, reason: 'ECS takes a whole number from 0 to 1000', fix: 'give a weight such as 1, 3 or 100' },
      { property: 'props.capacity.shares[1].weight', value: -1, reason: 'ECS takes a whole number from 0 to 1000', fix: 'give a weight such as 1, 3 or 100' },
    ]);
    for (const base of [100001, 1.5, -1]) {
      expect(weighted({ capacityProvider: FARGATE_SPOT, base }).problems).toEqual([
        { property: 'props.capacity.shares[0].base', value: base, reason: 'ECS takes a whole number from 0 to 100000', fix: 'give a base such as 1, or leave it out' },
      ]);
    }
  });

  test('no shares is one problem, not also "every weight is 0"', () => {
    expect(weighted().problems).toEqual([{
      property: 'props.capacity.shares',
      value: [],
      reason: 'a capacity provider strategy needs at least one item',
      fix: 'add a share, e.g. { capacityProvider: FargateCapacityProvider.FARGATE_SPOT, weight: 1 }',
    }]);
  });

  test('a duplicate and an unknown provider, spelled out', () => {
    expect(weighted({ capacityProvider: FARGATE }, { capacityProvider: FARGATE }, { capacityProvider: 'EC2' as FargateCapacityProvider }).problems).toEqual([
      { property: 'props.capacity.shares[1]', value: 'FARGATE', reason: 'duplicate of props.capacity.shares[0]', fix: 'list each capacity provider once' },
      {
        property: 'props.capacity.shares[2].capacityProvider',
        value: 'EC2',
        reason: 'Fargate jobs run on FARGATE or FARGATE_SPOT only',
        fix: 'use FargateCapacityProvider.FARGATE or FargateCapacityProvider.FARGATE_SPOT',
      },
    ]);
  });

  test('a base on the second of three shares is named in the fix of two bases', () => {
    const plan = weighted({ capacityProvider: FARGATE }, { capacityProvider: FARGATE_SPOT, base: 1 }, { capacityProvider: 'X' as FargateCapacityProvider, base: 3 });
    expect(plan.problems[plan.problems.length - 1]).toEqual({
      property: 'props.capacity.shares',
      value: ['shares[1] FARGATE_SPOT base 1', 'shares[2] X base 3'],
      reason: 'ECS lets only one item of a capacity provider strategy set base',
      fix: 'keep base on one share (e.g. shares[1]) and remove it from the others',
    });
  });

  test('Spot with weight 0 but a base still places jobs on Spot, so the fallback stays', () => {
    const plan = weighted({ capacityProvider: FARGATE, weight: 1 }, { capacityProvider: FARGATE_SPOT, weight: 0, base: 2 });
    expect(plan).toEqual(expect.objectContaining({ usesSpot: true, fallbackToOnDemand: true, problems: [] }));
    expect(plan.primary).toEqual([{ capacityProvider: FARGATE, weight: 1 }, { capacityProvider: FARGATE_SPOT, weight: 0, base: 2 }]);
    // FARGATE with a base and weight does not use Spot.
    expect(weighted({ capacityProvider: FARGATE, weight: 1, base: 2 }))
      .toEqual(expect.objectContaining({ usesSpot: false, fallbackToOnDemand: false }));
    // Spot weight 0 with base 0 places nothing on Spot.
    expect(weighted({ capacityProvider: FARGATE, weight: 1 }, { capacityProvider: FARGATE_SPOT, weight: 0, base: 0 }))
      .toEqual(expect.objectContaining({ usesSpot: false, fallbackToOnDemand: false }));
  });
});

describe('platformProblems spelled out', () => {
  test('an unknown architecture', () => {
    expect(platformProblems({ cpuArchitecture: 'MIPS', operatingSystemFamily: 'LINUX', windows: false }, true, 'c')).toEqual([
      { property: 'cpuArchitecture', value: 'MIPS', reason: 'Fargate runs X86_64 and ARM64 tasks only', fix: 'use CpuArchitecture.X86_64 or CpuArchitecture.ARM64' },
    ]);
  });

  test('Windows on ARM64 without Spot', () => {
    expect(platformProblems({ cpuArchitecture: 'ARM64', operatingSystemFamily: 'WINDOWS_SERVER_2019_FULL', windows: true }, false, 'c')).toEqual([{
      property: 'cpuArchitecture',
      value: 'ARM64 with WINDOWS_SERVER_2019_FULL',
      reason: 'Fargate runs Windows containers on X86_64 only',
      fix: 'use CpuArchitecture.X86_64 for Windows, or a Linux image on ARM64',
    }]);
  });
});

describe('task sizes at their edges', () => {
  test('0.25 vCPU offers 512 and 1024 to 2048: 4096 is refused with the nearest offer and the CPUs that have it', () => {
    expect(taskSizeProblems(256, 1024, false)).toEqual([]);
    expect(taskSizeProblems(256, 4096, false)).toEqual([{
      property: 'memoryLimitMiB',
      value: 4096,
      reason: 'Fargate does not offer 4096 MiB with 256 CPU units; it offers 512 or 1024 to 2048 MiB in steps of 1024',
      fix: 'use memoryLimitMiB 2048, or cpu 512 or 1024 or 2048 for 4096 MiB',
    }]);
  });

  test('a memory size no CPU offers: the nearest one, and on a tie the smaller', () => {
    // 2560 is 512 from both 2048 and 3072.
    expect(taskSizeProblems(1024, 2560, false)).toEqual([{
      property: 'memoryLimitMiB',
      value: 2560,
      reason: 'Fargate does not offer 2560 MiB with 1024 CPU units; it offers 2048 to 8192 MiB in steps of 1024',
      fix: 'use memoryLimitMiB 2048',
    }]);
    // Above the range: the largest offer.
    expect(taskSizeProblems(8192, 65536, false)[0].fix).toBe('use memoryLimitMiB 61440, or cpu 16384 for 65536 MiB');
    // Just above the smallest offer: the smallest.
    expect(taskSizeProblems(4096, 8200, false)[0].fix).toBe('use memoryLimitMiB 8192');
  });

  test('16 vCPU: 32768 to 122880 in steps of 8192, Linux only', () => {
    expect(taskSizeProblems(16384, 32768, false)).toEqual([]);
    expect(taskSizeProblems(16384, 40960, false)).toEqual([]);
    expect(taskSizeProblems(16384, 36864, false)[0].reason).toBe('Fargate does not offer 36864 MiB with 16384 CPU units; it offers 32768 to 122880 MiB in steps of 8192');
    expect(taskSizeProblems(16384, 32768, true)).toEqual([{
      property: 'cpu',
      value: 16384,
      reason: 'Fargate (Windows) offers 1024, 2048, 4096 CPU units only',
      fix: 'pick one of 1024, 2048, 4096 (1024 units = 1 vCPU)',
    }]);
  });

  test('Windows sizes: memory fits are looked up among Windows CPUs only', () => {
    expect(taskSizeProblems(1024, 1024, true)[0].fix).toBe('use memoryLimitMiB 2048');
    expect(taskSizeProblems(4096, 30720, true)).toEqual([]);
  });

  test('ephemeral storage: 21 to 200 whole GiB', () => {
    const problem = (gib: number) => [{
      property: 'ephemeralStorageGiB',
      value: gib,
      reason: 'Fargate takes a whole number of GiB from 21 to 200',
      fix: 'give 21 to 200, or leave it out for the default 20 GiB',
    }];
    expect(ephemeralStorageProblems(20)).toEqual(problem(20));
    expect(ephemeralStorageProblems(21)).toEqual([]);
    expect(ephemeralStorageProblems(200)).toEqual([]);
    expect(ephemeralStorageProblems(201)).toEqual(problem(201));
    expect(ephemeralStorageProblems(30.5)).toEqual(problem(30.5));
  });
});
