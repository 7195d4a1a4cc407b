import {
  teamsDarkTheme,
  teamsHighContrastTheme,
  teamsLightTheme,
  webDarkTheme,
  webLightTheme,
  type Theme,
} from '@fluentui/react-components';

/** Teams names its themes 'default', 'dark' and 'contrast' (app.Context.app.theme). */
export type ThemeName = 'light' | 'dark' | 'contrast';

export function fromTeamsTheme(teamsTheme: string | undefined): ThemeName {
  if (teamsTheme === 'dark') return 'dark';
  if (teamsTheme === 'contrast') return 'contrast';
  return 'light';
}

export function fluentTheme(name: ThemeName, inTeams: boolean): Theme {
  if (name === 'contrast') return teamsHighContrastTheme;
  if (name === 'dark') return inTeams ? teamsDarkTheme : webDarkTheme;
  return inTeams ? teamsLightTheme : webLightTheme;
}

/** Outside Teams the browser's own settings decide: forced colours first, then the colour scheme. */
export function browserTheme(matches: (query: string) => boolean): ThemeName {
  if (matches('(forced-colors: active)')) return 'contrast';
  return matches('(prefers-color-scheme: dark)') ? 'dark' : 'light';
}
