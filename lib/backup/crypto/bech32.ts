/** Bech32 (BIP 173), as age writes its keys: `age1…` recipients and `AGE-SECRET-KEY-1…` identities. */
const CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
const GENERATOR = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];

function polymod(values: number[]): number {
  let chk = 1;
  for (const value of values) {
    const top = chk >>> 25;
    chk = ((chk & 0x1ffffff) << 5) ^ value;
    for (let i = 0; i < 5; i++) if ((top >>> i) & 1) chk ^= GENERATOR[i]!;
  }
  return chk >>> 0;
}

function hrpExpand(hrp: string): number[] {
  const codes = [...hrp].map((c) => c.charCodeAt(0));
  return [...codes.map((c) => c >> 5), 0, ...codes.map((c) => c & 31)];
}

function convertBits(data: Iterable<number>, from: number, to: number, pad: boolean): number[] {
  let acc = 0;
  let bits = 0;
  const out: number[] = [];
  const max = (1 << to) - 1;
  for (const value of data) {
    acc = (acc << from) | value;
    bits += from;
    while (bits >= to) {
      bits -= to;
      out.push((acc >> bits) & max);
    }
  }
  if (pad && bits > 0) out.push((acc << (to - bits)) & max);
  else if (!pad && (bits >= from || ((acc << (to - bits)) & max) !== 0)) throw new Error("invalid padding");
  return out;
}

export function bech32Encode(hrp: string, bytes: Uint8Array): string {
  const data = convertBits(bytes, 8, 5, true);
  const mod = polymod([...hrpExpand(hrp), ...data, 0, 0, 0, 0, 0, 0]) ^ 1;
  const checksum = Array.from({ length: 6 }, (_, i) => (mod >>> (5 * (5 - i))) & 31);
  return `${hrp}1${[...data, ...checksum].map((d) => CHARSET[d]).join("")}`;
}

/** Decodes a whole-case Bech32 string; throws a plain sentence for anything else. */
export function bech32Decode(text: string): { hrp: string; bytes: Buffer } {
  if (text !== text.toLowerCase() && text !== text.toUpperCase()) throw new Error("mixed case");
  const lower = text.toLowerCase();
  const at = lower.lastIndexOf("1");
  if (at < 1 || at + 7 > lower.length) throw new Error("no separator or checksum");
  const hrp = lower.slice(0, at);
  const data = [...lower.slice(at + 1)].map((c) => {
    const value = CHARSET.indexOf(c);
    if (value < 0) throw new Error(`invalid character ${c}`);
    return value;
  });
  if (polymod([...hrpExpand(hrp), ...data]) !== 1) throw new Error("bad checksum");
  return { hrp, bytes: Buffer.from(convertBits(data.slice(0, -6), 5, 8, false)) };
}
