import ipaddr from 'ipaddr.js';

/**
 * Whether an address is inside any of the networks (CIDR text). Non-addresses are never inside; an IPv4-mapped IPv6
 * address (`::ffff:198.51.100.7`) counts as the IPv4 address it carries (ipaddr.process).
 */
export function inNetworks(address: string | null | undefined, networks: readonly string[]): boolean {
  if (!address || !ipaddr.isValid(address)) return false;
  const ip = ipaddr.process(address);
  return networks.some((n) => {
    const [net, bits] = ipaddr.parseCIDR(n);
    return net.kind() === ip.kind() && ip.match([net, bits]);
  });
}
