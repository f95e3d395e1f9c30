// How each of the six categories looks wherever it appears: an icon, a colour and a fill pattern,
// so a badge or a chart never tells them apart by colour alone.

/** icon: SVG path data on a 16x16 grid, drawn as a stroke. pattern: the chart's fill. */
export const CATEGORY_STYLE = {
  'Invalid Email': { slug: 'invalid', colour: '#b3261e', pattern: 'solid', icon: 'M8 1.5a6.5 6.5 0 1 0 0 13a6.5 6.5 0 1 0 0-13M3.4 3.4l9.2 9.2' },
  'Mailbox Error': { slug: 'mailbox', colour: '#a35a00', pattern: 'diagonal', icon: 'M1.5 4.5h13v8h-13zM1.5 4.5l6.5 5l6.5-5' },
  Autoresponder: { slug: 'auto', colour: '#1f5fa8', pattern: 'dots', icon: 'M13 8a5 5 0 1 1-1.5-3.6M11.5 1.5v3h-3' },
  Blocked: { slug: 'blocked', colour: '#6a3d9a', pattern: 'cross', icon: 'M5 1.5h6l3.5 3.5v6l-3.5 3.5h-6l-3.5-3.5v-6zM4.5 8h7' },
  Spam: { slug: 'spam', colour: '#8e1f5c', pattern: 'horizontal', icon: 'M8 1.5l6.5 12h-13zM8 6v3.5M8 11.5v.5' },
  'Not Delivered': { slug: 'undelivered', colour: '#4d5660', pattern: 'vertical', icon: 'M3.5 1.5h9M3.5 14.5h9M4.5 1.5c0 4 7 4 7 6.5s-7 2.5-7 6.5M11.5 1.5c0 4-7 4-7 6.5s7 2.5 7 6.5' },
};

export const styleOf = (category) => CATEGORY_STYLE[category] ?? { slug: 'other', colour: '#5a6470', pattern: 'solid', icon: 'M8 3v6M8 12v1' };
