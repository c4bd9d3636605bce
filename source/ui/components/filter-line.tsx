/** The last row of a list screen: `/filter` with the cursor while typing, then the counts. */
import {Text} from 'ink';
import type {ListState} from '../state/list.js';
import {useTheme} from '../services.js';

export function FilterLine({list, status}: {list: ListState; status: string}) {
	const theme = useTheme();
	if (list.filtering || list.filter) {
		return (
			<Text wrap="truncate-end">
				<Text color={theme.accent}>/</Text>
				<Text>{list.filter}</Text>
				{list.filtering ? <Text inverse> </Text> : null}
				<Text color={theme.muted}>{'  '}{status}</Text>
			</Text>
		);
	}

	return <Text color={theme.muted} wrap="truncate-end">{status}</Text>;
}
