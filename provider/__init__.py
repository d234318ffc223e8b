"""The provider Lambda: Lookout for Vision models and datasets as CloudFormation custom resources."""
