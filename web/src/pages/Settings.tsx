import Header from '@cloudscape-design/components/header';

export default function Settings(_props: Record<string, string>) {
  return <Header variant="h1">Settings</Header>;
}
