import Header from '@cloudscape-design/components/header';

export default function Grant(_props: Record<string, string>) {
  return <Header variant="h1">Grant</Header>;
}
