import * as path from 'path';
import { findImpurities, formatImpurities } from '@send/sla/testing/purity';

// libs/domain is pure (DESIGN.md): no IO, no Nest, no clock reads. The scanner is libs/sla's
// (testing/purity.ts); it skips specs and testing/ folders.
describe('libs/domain purity', () => {
  it('has no IO, framework imports or clock reads outside specs and testing helpers', () => {
    const found = findImpurities(path.join(__dirname));
    expect(formatImpurities(found)).toBe('');
  });
});
