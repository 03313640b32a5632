/**
 * SIR's AwsRegion enum (ImpactedAwsRegion.region, reference §4): the 36 regions CreateCase accepts.
 * GovCloud and the ISO partitions are absent from the model, so an alert from them opens a case
 * without an impacted region rather than one CreateCase refuses.
 * The sandbox validates CreateCase against this same list.
 */
export const SIR_AWS_REGIONS = [
  'af-south-1', 'ap-east-1', 'ap-east-2', 'ap-northeast-1', 'ap-northeast-2', 'ap-northeast-3', 'ap-south-1', 'ap-south-2',
  'ap-southeast-1', 'ap-southeast-2', 'ap-southeast-3', 'ap-southeast-4', 'ap-southeast-5', 'ap-southeast-6', 'ap-southeast-7',
  'ca-central-1', 'ca-west-1', 'cn-north-1', 'cn-northwest-1', 'eu-central-1', 'eu-central-2', 'eu-north-1', 'eu-south-1',
  'eu-south-2', 'eu-west-1', 'eu-west-2', 'eu-west-3', 'il-central-1', 'me-central-1', 'me-south-1', 'mx-central-1',
  'sa-east-1', 'us-east-1', 'us-east-2', 'us-west-1', 'us-west-2',
] as const;

export type SirAwsRegion = (typeof SIR_AWS_REGIONS)[number];

export function isSirAwsRegion(value: unknown): value is SirAwsRegion {
  return typeof value === 'string' && (SIR_AWS_REGIONS as readonly string[]).includes(value);
}
