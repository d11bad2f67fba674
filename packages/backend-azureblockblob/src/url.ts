/**
 * `azureblockblob://<connection string>` (Celery `AzureBlockBlobBackend._parse_url`): everything after
 * the prefix is an Azure Storage connection string, handed to the SDK as written. Secrets in it
 * (`AccountKey=`, `SharedAccessSignature=`) are masked wherever cq shows it.
 */
import { AzureBlockBlobUrlError } from './errors.js';

/** The URL prefix, Celery `AZURE_BLOCK_BLOB_CONNECTION_PREFIX`. */
export const AZUREBLOCKBLOB_PREFIX = 'azureblockblob://';

const FORM = 'write azureblockblob://DefaultEndpointsProtocol=https;AccountName=<name>;AccountKey=<key>;EndpointSuffix=core.windows.net';

/**
 * The connection string of an `azureblockblob://` URL (prefix matched case-insensitively). Pure.
 * @throws AzureBlockBlobUrlError for another scheme or nothing after the prefix (Celery: "Invalid URL").
 */
export function connectionStringOf(url: string): string {
  if (url.slice(0, AZUREBLOCKBLOB_PREFIX.length).toLowerCase() !== AZUREBLOCKBLOB_PREFIX) {
    throw new AzureBlockBlobUrlError(`${JSON.stringify(maskConnectionString(url))} is not an Azure Block Blob result backend URL: ${FORM}`);
  }
  const connectionString = url.slice(AZUREBLOCKBLOB_PREFIX.length).trim();
  if (!connectionString) throw new AzureBlockBlobUrlError(`the result backend URL has no connection string after azureblockblob://: ${FORM}`);
  return connectionString;
}

/**
 * The text with the values of `AccountKey=` and `SharedAccessSignature=` replaced by `**` (Celery
 * `as_uri(include_password=False)` masks the account key the same way). Pure.
 */
export function maskConnectionString(text: string): string {
  return text.replace(/\b(AccountKey|SharedAccessSignature)=[^;]*/gi, '$1=**');
}
