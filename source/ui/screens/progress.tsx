import {Text} from 'ink';
export function ProgressScreen(_props: {route: unknown}) { return <Text>ProgressScreen</Text>; }
