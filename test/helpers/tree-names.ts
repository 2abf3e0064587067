// File names that trip up quoting, JSON encoding, Unicode handling and
// shell-minded code. Each one is a real file in the generated tree.

export const UNUSUAL_NAMES: readonly string[] = [
  'with space.txt',
  ' leading space',
  'trailing space ',
  'quote"double.txt',
  "quote'single.txt",
  'back\\slash.txt',
  'new\nline.txt',
  'carriage\rreturn',
  'tab\tname.txt',
  'bell\u0007 backspace\b formfeed\f vtab\v',
  'ctrl\u0001\u001f',
  'del\u007f',
  '<angle>&amp;.html',
  'glob*?[x]{a,b}.txt',
  '$HOME `cmd` ;|&',
  '%s %d %n',
  '-leading-dash',
  '.hidden',
  '..double-dot',
  '~tilde',
  'caf\u00e9 nfc.txt', // é as one code point
  'cafe\u0301 nfd.txt', // e + combining acute: looks the same, different bytes
  '\u{1F600} emoji \u{1F389}\u{1F468}\u200D\u{1F469}\u200D\u{1F467}.txt',
  '\u65e5\u672c\u8a9e\u306e\u30d5\u30a1\u30a4\u30eb.txt',
  '\u05e9\u05dc\u05d5\u05dd rtl.txt',
  'zero\u200bwidth\u200djoiner',
  'nbsp\u00a0x',
  'line\u2028para\u2029sep',
  'bom\ufeff',
  'private\ue000use',
  'astral\u{10FFFD}',
  'L'.repeat(251) + '.txt', // 255 bytes, the ext4 limit
  '\u00e9'.repeat(127), // 254 bytes of two-byte characters
];

/** Names that are not valid UTF-8: only representable as Buffers. */
export const INVALID_UTF8_NAMES: readonly Buffer[] = [
  Buffer.from([0x62, 0x61, 0x64, 0xff, 0xfe, 0x2e, 0x62, 0x69, 0x6e]), // bad\xff\xfe.bin
  Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x2d, 0x6c, 0x61, 0x74, 0x69, 0x6e, 0x31]), // caf\xe9-latin1
  Buffer.from([0x74, 0x72, 0x75, 0x6e, 0x63, 0xe2, 0x82]), // truncated 3-byte sequence
  Buffer.from([0x6f, 0x76, 0x65, 0x72, 0x6c, 0x6f, 0x6e, 0x67, 0xc0, 0xaf]), // overlong '/'
  Buffer.from([0x73, 0x75, 0x72, 0x72, 0xed, 0xa0, 0x80]), // UTF-8-encoded surrogate
];
