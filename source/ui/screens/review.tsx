import {Text} from 'ink';
export function ReviewScreen(_props: {route: unknown}) { return <Text>ReviewScreen</Text>; }
