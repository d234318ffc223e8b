"""A local cloud for Lookout for Vision stacks: the service emulator and a CloudFormation driver."""
