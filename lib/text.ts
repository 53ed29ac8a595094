// /proc holds bytes, JavaScript holds UTF-16. prockit decodes valid UTF-8 as usual and keeps
// every other byte as a lone surrogate U+DC80–U+DCFF (Python's "surrogateescape"), so no
// byte is lost or replaced; fsEncode gives the exact bytes back.

/** The bytes a string from prockit was decoded from (the inverse of its /proc decoding). */
export function fsEncode(text: string): Buffer {
  const parts: Buffer[] = []
  let plainStart = 0
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i)
    if (unit >= 0xdc80 && unit <= 0xdcff && !(i > 0 && isHighSurrogate(text.charCodeAt(i - 1)))) {
      parts.push(Buffer.from(text.slice(plainStart, i), 'utf8'), Buffer.of(unit & 0xff))
      plainStart = i + 1
    }
  }
  parts.push(Buffer.from(text.slice(plainStart), 'utf8'))
  return Buffer.concat(parts)
}

function isHighSurrogate(unit: number): boolean {
  return unit >= 0xd800 && unit <= 0xdbff
}
