import {Text} from 'ink';
export function SendEmailScreen(_props: {route: unknown}) { return <Text>SendEmailScreen</Text>; }
export function SendReminderScreen(_props: {route: unknown}) { return <Text>SendReminderScreen</Text>; }
