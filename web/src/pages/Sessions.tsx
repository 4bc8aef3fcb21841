import Header from '@cloudscape-design/components/header';

export default function Sessions(_props: Record<string, string>) {
  return <Header variant="h1">Sessions</Header>;
}
