package benchdb

// NUPJoins are the lateral joins that give each row g of a
// generate_series(…) g its protocol number's parts: a.seq and a.yr (500 000
// numbers a year from 2025) and the two check digits c.dv1 and e.dv2 of the
// NUP (Portaria SLTI/MP 3/2011: weighted sums modulo 11, as core.Number
// computes them). Use with NUPNumber in a SELECT … FROM generate_series.
const NUPJoins = `CROSS JOIN LATERAL (SELECT (g - 1) % 500000 + 1 AS seq, 2025 + (g - 1) / 500000 AS yr) a
		CROSS JOIN LATERAL (SELECT 200
				+ a.seq / 100000 % 10 * 11 + a.seq / 10000 % 10 * 10 + a.seq / 1000 % 10 * 9
				+ a.seq / 100 % 10 * 8 + a.seq / 10 % 10 * 7 + a.seq % 10 * 6
				+ a.yr / 1000 % 10 * 5 + a.yr / 100 % 10 * 4 + a.yr / 10 % 10 * 3 + a.yr % 10 * 2 AS s1,
			15 + a.seq / 100000 % 10 + a.seq / 10000 % 10 + a.seq / 1000 % 10 + a.seq / 100 % 10 + a.seq / 10 % 10 + a.seq % 10
				+ a.yr / 1000 % 10 + a.yr / 100 % 10 + a.yr / 10 % 10 + a.yr % 10 AS ds) b
		CROSS JOIN LATERAL (SELECT CASE WHEN 11 - b.s1 % 11 >= 10 THEN 1 - b.s1 % 11 ELSE 11 - b.s1 % 11 END AS dv1) c
		CROSS JOIN LATERAL (SELECT b.s1 + b.ds + 2 * c.dv1 AS s2) d
		CROSS JOIN LATERAL (SELECT CASE WHEN 11 - d.s2 % 11 >= 10 THEN 1 - d.s2 % 11 ELSE 11 - d.s2 % 11 END AS dv2) e`

// NUPNumber is the formatted number (23037.NNNNNN/YYYY-DD) over NUPJoins.
const NUPNumber = `'23037.' || lpad(a.seq::text, 6, '0') || '/' || a.yr || '-' || c.dv1 || e.dv2`
