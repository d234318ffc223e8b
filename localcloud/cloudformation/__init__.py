"""A local CloudFormation: plays a synthesized stack's lifecycle against the local cloud."""
