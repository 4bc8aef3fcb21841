import Header from '@cloudscape-design/components/header';

export default function Requests(_props: Record<string, string>) {
  return <Header variant="h1">Requests</Header>;
}
