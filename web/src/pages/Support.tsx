import Header from '@cloudscape-design/components/header';

export default function Support(_props: Record<string, string>) {
  return <Header variant="h1">Support</Header>;
}
