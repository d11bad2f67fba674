import { describe, expect, it } from 'vitest';
import { AzureBlockBlobUrlError } from './errors.js';
import { connectionStringOf, maskConnectionString } from './url.js';

describe('azureblockblob:// URLs, as Celery AzureBlockBlobBackend._parse_url reads them', () => {
  it('takes everything after the prefix as the connection string', () => {
    expect(connectionStringOf('azureblockblob://UseDevelopmentStorage=true')).toBe('UseDevelopmentStorage=true');
    expect(connectionStringOf('AzureBlockBlob://AccountName=a;AccountKey=k==;EndpointSuffix=core.windows.net'))
      .toBe('AccountName=a;AccountKey=k==;EndpointSuffix=core.windows.net');
  });

  it('refuses an empty connection string or another scheme, naming the form and masking the key', () => {
    expect(() => connectionStringOf('azureblockblob://')).toThrow(AzureBlockBlobUrlError);
    const err = (() => { try { return connectionStringOf('redis://AccountKey=s3cret;x=1'); } catch (e) { return e; } })();
    expect(err).toBeInstanceOf(AzureBlockBlobUrlError);
    expect((err as Error).message).toContain('azureblockblob://DefaultEndpointsProtocol=https;AccountName=<name>;AccountKey=<key>');
    expect((err as Error).message).not.toContain('s3cret');
  });

  it('masks AccountKey and SharedAccessSignature values as Celery as_uri() masks the key', () => {
    expect(maskConnectionString('azureblockblob://AccountName=a;AccountKey=abc/+==;BlobEndpoint=http://h/a'))
      .toBe('azureblockblob://AccountName=a;AccountKey=**;BlobEndpoint=http://h/a');
    expect(maskConnectionString('BlobEndpoint=https://a.blob.core.windows.net;SharedAccessSignature=sv=2020&sig=xyz'))
      .toBe('BlobEndpoint=https://a.blob.core.windows.net;SharedAccessSignature=**');
  });
});
