import { synthErrorOf } from './synth-error';

test('synthErrorOf returns the whole message of what was thrown', () => {
  expect(synthErrorOf(() => { throw new Error('[Stack/Thing] invalid configuration: x = 1'); }))
    .toBe('[Stack/Thing] invalid configuration: x = 1');
});

test('synthErrorOf fails the test when nothing is thrown', () => {
  expect(() => synthErrorOf(() => 'built fine')).toThrow('expected an error, but nothing was thrown');
});
