/**
 * The funnel as horizontal bars (Mantine's BarChart on recharts). Loaded only by the campaign
 * page (React.lazy), so the chart library is not part of the first page load. The numbers are
 * also in the table beside it, which is what screen readers read; the drawing is decoration.
 */
import '@mantine/charts/styles.css';
import { BarChart } from '@mantine/charts';
import type { FunnelRow } from './funnel';

const COLOR: Record<FunnelRow['kind'], string> = {
  sent: 'blue.7',
  delivered: 'cyan.8',
  read: 'teal.8',
  replied: 'green.8',
  failed: 'red.8',
};

export default function FunnelChart({ rows, label }: { rows: FunnelRow[]; label: (r: FunnelRow) => string }) {
  const data = rows.map((r) => ({ stage: label(r), count: r.count, color: COLOR[r.kind] }));
  return (
    <div aria-hidden="true">
      <BarChart
        h={Math.max(160, rows.length * 36)}
        data={data}
        dataKey="stage"
        orientation="vertical"
        series={[{ name: 'count', color: 'blue.7' }]}
        withBarValueLabel
        withTooltip={false}
        gridAxis="none"
        yAxisProps={{ width: 170 }}
        xAxisProps={{ allowDecimals: false }}
        barProps={{ isAnimationActive: false }}
        // Hidden from assistive technology (the table says the same), so not focusable either.
        barChartProps={{ accessibilityLayer: false }}
      />
    </div>
  );
}
