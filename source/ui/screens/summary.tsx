import {Text} from 'ink';
export function SummaryScreen(_props: {route: unknown}) { return <Text>SummaryScreen</Text>; }
