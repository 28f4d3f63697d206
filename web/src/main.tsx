import '@mantine/core/styles.css';
import { Alert, type CSSVariablesResolver, createTheme, MantineProvider, Table } from '@mantine/core';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { BrowserRouter } from 'react-router';
import { AppRoutes } from './app/routes';
import { SessionProvider } from './app/session';
import { I18nProvider } from './i18n/i18n';

// Mantine's default blue on white passes WCAG AA for text and controls; the primary shade is one
// step darker so filled buttons keep 4.5:1 with white labels.
const theme = createTheme({
  primaryColor: 'blue',
  primaryShade: 8,
  components: {
    // A table wider than a phone scrolls sideways; a keyboard user must be able to scroll it too,
    // so the scrolling box is the browser's own and takes focus.
    TableScrollContainer: Table.ScrollContainer.extend({ defaultProps: { type: 'native', tabIndex: 0 } }),
    // The light alert draws its title in the alert's colour, under 4.5:1 on its tint for green,
    // yellow and red: titles take the text colour, the tint and icon still say which kind.
    Alert: Alert.extend({ styles: { title: { color: 'var(--mantine-color-text)' } } }),
  },
});

// Mantine's "dimmed" grey (hints, descriptions, secondary text) is 3.3:1 on white; gray.7 keeps
// every such text at WCAG AA's 4.5:1.
const cssVariablesResolver: CSSVariablesResolver = () => ({
  variables: {},
  light: { '--mantine-color-dimmed': 'var(--mantine-color-gray-7)' },
  dark: {},
});

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <MantineProvider theme={theme} cssVariablesResolver={cssVariablesResolver}>
      <I18nProvider>
        <BrowserRouter>
          <SessionProvider>
            <AppRoutes />
          </SessionProvider>
        </BrowserRouter>
      </I18nProvider>
    </MantineProvider>
  </StrictMode>,
);
