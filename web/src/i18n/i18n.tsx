/**
 * Spanish and English UI strings. Each part of the app keeps its own catalogue beside its pages
 * (`strings.ts`): `defineStrings({ en: {...}, es: {...} })`, where `es` must have exactly the keys of
 * `en` (the type checker says which is missing). A string may take values: `'{count} contacts'`.
 * The language is the user's choice (kept in localStorage), else the browser's, else English.
 */
import { createContext, type ReactNode, useCallback, useContext, useMemo, useState } from 'react';

export type Language = 'en' | 'es';
export const LANGUAGES: Language[] = ['en', 'es'];

export type Catalogue<K extends string> = Record<Language, Record<K, string>>;

/** Both languages, with the same keys. */
export function defineStrings<K extends string>(c: {
  en: Record<K, string>;
  es: Record<K, string>;
}): Catalogue<K> {
  return c;
}

const STORAGE_KEY = 'recontact.language';

function initialLanguage(): Language {
  const saved = globalThis.localStorage?.getItem(STORAGE_KEY);
  if (saved === 'en' || saved === 'es') return saved;
  return navigator.language?.toLowerCase().startsWith('es') ? 'es' : 'en';
}

interface I18n {
  language: Language;
  setLanguage(l: Language): void;
}

const I18nContext = createContext<I18n>({ language: 'en', setLanguage: () => {} });

export function I18nProvider({ children }: { children: ReactNode }) {
  const [language, set] = useState<Language>(initialLanguage);
  const setLanguage = useCallback((l: Language) => {
    localStorage.setItem(STORAGE_KEY, l);
    document.documentElement.lang = l;
    set(l);
  }, []);
  const value = useMemo(() => ({ language, setLanguage }), [language, setLanguage]);
  return <I18nContext.Provider value={value}>{children}</I18nContext.Provider>;
}

export function useLanguage(): I18n {
  return useContext(I18nContext);
}

/** `const t = useT(strings); t('title'); t('count', { count: 3 })`. */
export function useT<K extends string>(catalogue: Catalogue<K>) {
  const { language } = useLanguage();
  return useCallback(
    (key: K, values?: Record<string, string | number>) => format(catalogue[language][key], values),
    [catalogue, language],
  );
}

function format(text: string, values?: Record<string, string | number>): string {
  if (!values) return text;
  return text.replace(/\{(\w+)\}/g, (m, name: string) => (name in values ? String(values[name]) : m));
}

/** Dates and numbers in the UI language. */
export function useFormat() {
  const { language } = useLanguage();
  const locale = language === 'es' ? 'es' : 'en';
  return useMemo(
    () => ({
      number: (n: number) => n.toLocaleString(locale),
      dateTime: (iso: string | number | Date) =>
        new Date(iso).toLocaleString(locale, { dateStyle: 'medium', timeStyle: 'short' }),
      percent: (n: number) => n.toLocaleString(locale, { style: 'percent', maximumFractionDigits: 1 }),
    }),
    [locale],
  );
}
