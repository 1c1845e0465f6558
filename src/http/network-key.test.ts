import { describe, expect, it } from 'vitest';
import { networkKey } from './network-key.js';

describe('rate-limit keys', () => {
  it('keeps IPv4 addresses, unmaps IPv4-mapped IPv6, and groups IPv6 by /64', () => {
    expect(networkKey('192.0.2.7')).toBe('192.0.2.7');
    expect(networkKey('::ffff:192.0.2.7')).toBe('192.0.2.7');
    expect(networkKey('2001:db8:1:2:aaaa:bbbb:cccc:dddd')).toBe('2001:db8:1:2::/64');
    expect(networkKey('2001:db8:1:2::1')).toBe('2001:db8:1:2::/64');
    expect(networkKey('2001:0db8:0001:0002:ffff::9')).toBe('2001:db8:1:2::/64');
    expect(networkKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(networkKey('::1')).toBe('0:0:0:0::/64');
  });
});
