// Mailferry on Azure: Function App (Flex Consumption, managed identity), Service Bus queue with
// dead-lettering and duplicate detection, Cosmos DB (serverless) with its containers, Key Vault
// (RBAC), Storage, Application Insights, static hosting for the Teams tab, and the role
// assignments the app's identity needs. Outputs use the app settings' own UPPER_SNAKE names.
targetScope = 'resourceGroup'

@description('Short name used in every resource name, e.g. "mailferry".')
@minLength(3)
@maxLength(16)
param appName string = 'mailferry'

param location string = resourceGroup().location

@description('Accepted token audiences: the API app registration client id and/or its api:// URI, comma-separated.')
param entraAudiences string

@description('Directory (tenant) ids this deployment serves, comma-separated. Required: tokens of any other tenant are refused.')
@minLength(36)
param allowedTenants string

@description('First Owners of each served tenant, comma-separated "tenant-id:user-object-id" pairs; they found its Default workgroup. A tenant without one cannot be set up by whoever signs in first.')
param tenantOwners string

@description('App roles of the API that app-only (daemon) tokens may carry, comma-separated; empty refuses every app-only token.')
param entraAppRoles string = ''

@description('The Teams app id (manifest id, TEAMS_APP_ID) so the pass card\'s "Open in Mailferry" opens the tab on the project; empty: the card has no button.')
param teamsAppId string = ''

@description('Mailbox used as the sender of end-user and report e-mail through Microsoft Graph.')
param mailSender string

@description('Lock duration of a job message: a worker renews it while a mailbox slice runs.')
param jobLockDuration string = 'PT5M'

@description('Deliveries of one job before Service Bus dead-letters it.')
param jobMaxDeliveryCount int = 10

@description('Let endpoints name non-public addresses (private, loopback, link-local): only for a deployment that must reach an Exchange or IMAP server on a private network. Off: public mail servers only.')
param allowPrivateDestinations bool = false

@description('Public IP addresses or CIDR ranges (e.g. "203.0.113.7" or "203.0.113.0/24") from which operators may reach Key Vault and Cosmos DB data directly (portal Data Explorer, secret views). Empty: only the Function App reaches them.')
param operatorIpRanges array = []

var suffix = uniqueString(resourceGroup().id, appName)
var jobsQueueName = 'mailferry-jobs'
var cosmosDatabaseName = 'mailferry'
var deploymentContainerName = 'app-package'
var appSubnetName = 'functions'

resource logs 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: '${appName}-logs-${suffix}'
  location: location
  properties: { sku: { name: 'PerGB2018' }, retentionInDays: 30 }
}

resource insights 'Microsoft.Insights/components@2020-02-02' = {
  name: '${appName}-ai-${suffix}'
  location: location
  kind: 'web'
  properties: { Application_Type: 'web', WorkspaceResourceId: logs.id, DisableLocalAuth: true }
}

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: take('${replace(appName, '-', '')}${suffix}', 24)
  location: location
  sku: { name: 'Standard_LRS' }
  kind: 'StorageV2'
  properties: { allowBlobPublicAccess: false, allowSharedKeyAccess: false, minimumTlsVersion: 'TLS1_2', supportsHttpsTrafficOnly: true }

  resource blobs 'blobServices' = {
    name: 'default'
    resource deployment 'containers' = { name: deploymentContainerName }
  }
}

resource serviceBus 'Microsoft.ServiceBus/namespaces@2022-10-01-preview' = {
  name: '${appName}-sb-${suffix}'
  location: location
  sku: { name: 'Standard', tier: 'Standard' } // Standard: scheduled messages, duplicate detection, dead-lettering
  properties: { disableLocalAuth: true, minimumTlsVersion: '1.2' }

  resource jobs 'queues' = {
    name: jobsQueueName
    properties: {
      lockDuration: jobLockDuration
      maxDeliveryCount: jobMaxDeliveryCount
      deadLetteringOnMessageExpiration: true
      requiresDuplicateDetection: true // one message per item × pass: messageId = jobId
      duplicateDetectionHistoryTimeWindow: 'P1D'
      defaultMessageTimeToLive: 'P14D'
    }
  }
}

resource cosmos 'Microsoft.DocumentDB/databaseAccounts@2024-05-15' = {
  name: '${appName}-cosmos-${suffix}'
  location: location
  kind: 'GlobalDocumentDB'
  properties: {
    databaseAccountOfferType: 'Standard'
    capabilities: [ { name: 'EnableServerless' } ]
    consistencyPolicy: { defaultConsistencyLevel: 'Session' }
    locations: [ { locationName: location, failoverPriority: 0 } ]
    disableLocalAuth: true
    publicNetworkAccess: 'Enabled' // filtered below: the app's subnet and the operators' addresses only
    isVirtualNetworkFilterEnabled: true
    virtualNetworkRules: [ { id: appSubnetId, ignoreMissingVNetServiceEndpoint: false } ]
    ipRules: [for range in operatorIpRanges: { ipAddressOrRange: range }]
    networkAclBypass: 'None'
  }

  resource database 'sqlDatabases' = {
    name: cosmosDatabaseName
    properties: { resource: { id: cosmosDatabaseName } }
  }
}

// Containers, partition keys and indexing: the same as api/adapters/cosmos/cosmos-layout.ts (a test
// cross-checks them). The app cannot create them itself: with local auth off, data-plane RBAC has no
// right to create containers.
var seqOrder = [ [ { path: '/_seq', order: 'ascending' }, { path: '/id', order: 'ascending' } ] ]
var cosmosContainers = [
  { name: 'projects', partitionKey: '/tenantId', indexingPolicy: { compositeIndexes: seqOrder } }
  { name: 'endpoints', partitionKey: '/tenantId', indexingPolicy: { compositeIndexes: seqOrder } }
  { name: 'items', partitionKey: '/tenantId', indexingPolicy: { compositeIndexes: seqOrder } }
  { name: 'passes', partitionKey: '/tenantId', indexingPolicy: { compositeIndexes: seqOrder } }
  { name: 'workgroups', partitionKey: '/tenantId', indexingPolicy: { compositeIndexes: seqOrder } }
  { name: 'groupSlots', partitionKey: '/tenantId', indexingPolicy: { compositeIndexes: seqOrder } }
  {
    name: 'ledger'
    partitionKey: '/pk'
    indexingPolicy: {
      includedPaths: [ { path: '/pk/?' }, { path: '/folder/?' }, { path: '/state/?' }, { path: '/sourceKey/?' } ]
      excludedPaths: [ { path: '/*' } ]
    }
  }
  {
    name: 'errors'
    partitionKey: '/pk'
    indexingPolicy: {
      includedPaths: [ { path: '/pk/?' }, { path: '/folder/?' }, { path: '/sourceKey/?' } ]
      excludedPaths: [ { path: '/*' } ]
      compositeIndexes: [ [ { path: '/folder', order: 'ascending' }, { path: '/sourceKey', order: 'ascending' } ] ]
    }
  }
  {
    name: 'cursors'
    partitionKey: '/pk'
    indexingPolicy: {
      includedPaths: [ { path: '/pk/?' } ]
      excludedPaths: [ { path: '/*' } ]
    }
  }
]

resource containers 'Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers@2024-05-15' = [for c in cosmosContainers: {
  parent: cosmos::database
  name: c.name
  properties: {
    resource: {
      id: c.name
      partitionKey: { paths: [ c.partitionKey ], kind: 'Hash' }
      indexingPolicy: c.indexingPolicy
      defaultTtl: -1 // TTL on, per document: leases and other ephemeral records expire on their own
    }
  }
}]

// The Function App's outbound traffic leaves through this subnet (Flex Consumption's virtual network
// integration). Its service endpoints let Key Vault and Cosmos DB admit the subnet by name and refuse
// every other caller on the internet (docs/azure.md: "Network and least privilege").
resource network 'Microsoft.Network/virtualNetworks@2023-11-01' = {
  name: '${appName}-vnet-${suffix}'
  location: location
  properties: {
    addressSpace: { addressPrefixes: [ '10.40.0.0/24' ] }
    subnets: [
      {
        name: appSubnetName
        properties: {
          addressPrefix: '10.40.0.0/26'
          delegations: [ { name: 'flex-consumption', properties: { serviceName: 'Microsoft.App/environments' } } ]
          serviceEndpoints: [ { service: 'Microsoft.KeyVault' }, { service: 'Microsoft.AzureCosmosDB' } ]
        }
      }
    ]
  }
}

var appSubnetId = resourceId('Microsoft.Network/virtualNetworks/subnets', network.name, appSubnetName)

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: take('${appName}-kv-${suffix}', 24)
  location: location
  properties: {
    tenantId: subscription().tenantId
    sku: { family: 'A', name: 'standard' }
    enableRbacAuthorization: true
    // Soft delete keeps a deleted secret recoverable for a week; the app purges the secrets of
    // deleted items, projects and endpoints at once. Purge protection would forbid that purge, so it
    // stays off (it cannot be turned off later on a vault where it was turned on: docs/azure.md).
    enableSoftDelete: true
    softDeleteRetentionInDays: 7
    publicNetworkAccess: 'Enabled' // filtered by networkAcls: the app's subnet and the operators' addresses only
    networkAcls: {
      defaultAction: 'Deny'
      bypass: 'None' // no "trusted Microsoft service" needs the secrets
      virtualNetworkRules: [ { id: appSubnetId, ignoreMissingVnetServiceEndpoint: false } ]
      ipRules: [for range in operatorIpRanges: { value: range }]
    }
  }
}

resource plan 'Microsoft.Web/serverfarms@2023-12-01' = {
  name: '${appName}-plan-${suffix}'
  location: location
  kind: 'functionapp'
  sku: { tier: 'FlexConsumption', name: 'FC1' }
  properties: { reserved: true }
}

resource functionApp 'Microsoft.Web/sites@2023-12-01' = {
  name: '${appName}-${suffix}'
  location: location
  kind: 'functionapp,linux'
  identity: { type: 'SystemAssigned' }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    virtualNetworkSubnetId: appSubnetId
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storage.properties.primaryEndpoints.blob}${deploymentContainerName}'
          authentication: { type: 'SystemAssignedIdentity' }
        }
      }
      scaleAndConcurrency: { maximumInstanceCount: 40, instanceMemoryMB: 2048 }
      runtime: { name: 'node', version: '20' }
    }
    siteConfig: {
      minTlsVersion: '1.2'
      // The tab is a static website on another origin: it calls the API with bearer tokens, no cookies.
      cors: { allowedOrigins: [ replace(web.properties.primaryEndpoints.web, '.net/', '.net') ], supportCredentials: false }
      appSettings: [
        { name: 'AzureWebJobsStorage__accountName', value: storage.name }
        { name: 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING', value: 'Authorization=AAD' }
        { name: 'APPLICATIONINSIGHTS_CONNECTION_STRING', value: insights.properties.ConnectionString }
        { name: 'ServiceBusConnection__fullyQualifiedNamespace', value: '${serviceBus.name}.servicebus.windows.net' }
        { name: 'MAILFERRY_ENTRA_AUDIENCES', value: entraAudiences }
        { name: 'MAILFERRY_ALLOWED_TENANTS', value: allowedTenants }
        { name: 'MAILFERRY_TENANT_OWNERS', value: tenantOwners }
        { name: 'MAILFERRY_ENTRA_APP_ROLES', value: entraAppRoles }
        { name: 'MAILFERRY_STORE', value: 'cosmos' }
        { name: 'MAILFERRY_COSMOS_ENDPOINT', value: cosmos.properties.documentEndpoint }
        { name: 'MAILFERRY_COSMOS_DATABASE', value: cosmosDatabaseName }
        { name: 'MAILFERRY_QUEUE', value: 'servicebus' }
        { name: 'MAILFERRY_SERVICEBUS_NAMESPACE', value: '${serviceBus.name}.servicebus.windows.net' }
        { name: 'MAILFERRY_SERVICEBUS_QUEUE', value: jobsQueueName }
        { name: 'MAILFERRY_KEYVAULT_URL', value: vault.properties.vaultUri }
        { name: 'MAILFERRY_MAIL_SENDER', value: mailSender }
        { name: 'MAILFERRY_ALLOW_PRIVATE_DESTINATIONS', value: allowPrivateDestinations ? '1' : '0' }
        { name: 'MAILFERRY_TEAMS_APP_ID', value: teamsAppId }
        // primaryEndpoints.web is already a full URL (https://<account>.<zone>.web.core.windows.net/).
        { name: 'MAILFERRY_PUBLIC_URL', value: web.properties.primaryEndpoints.web }
        // The same Node flags as `npm start` (a 4 MB young generation bounds a copy job's memory).
        { name: 'languageWorkers__node__arguments', value: '--max-semi-space-size=4 --initial-old-space-size=32 --interrupt-budget=540672 --expose-gc' }
      ]
    }
  }
}

// Static hosting for the Teams tab and the end-user page (built to dist/tab).
resource web 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: take('${replace(appName, '-', '')}web${suffix}', 24)
  location: location
  sku: { name: 'Standard_LRS' }
  kind: 'StorageV2'
  // Static websites are served anonymously by design; uploads go through Entra ID (--auth-mode login),
  // so nothing needs the account keys.
  properties: { allowBlobPublicAccess: false, allowSharedKeyAccess: false, defaultToOAuthAuthentication: true, minimumTlsVersion: 'TLS1_2', supportsHttpsTrafficOnly: true }
}

// Built-in role definition ids (https://learn.microsoft.com/azure/role-based-access-control/built-in-roles).
var roles = {
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  serviceBusDataSender: '69a216fc-b8fb-44d8-bc22-1f3c2cd27a39'
  serviceBusDataReceiver: '4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0'
  keyVaultSecretsOfficer: 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7'
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb'
}

resource storageRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, functionApp.id, roles.storageBlobDataOwner)
  scope: storage
  properties: { principalId: functionApp.identity.principalId, principalType: 'ServicePrincipal', roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataOwner) }
}

resource storageQueueRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, functionApp.id, roles.storageQueueDataContributor)
  scope: storage
  properties: { principalId: functionApp.identity.principalId, principalType: 'ServicePrincipal', roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageQueueDataContributor) }
}

// Send (enqueue, schedule, cancel scheduled) and receive (peek-lock, renew, settle, peek): the queue
// itself is created here, so the app never needs Manage rights (Data Owner).
resource serviceBusRoles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for role in [ roles.serviceBusDataSender, roles.serviceBusDataReceiver ]: {
  name: guid(serviceBus::jobs.id, functionApp.id, role)
  scope: serviceBus::jobs
  properties: { principalId: functionApp.identity.principalId, principalType: 'ServicePrincipal', roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', role) }
}]

resource vaultRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, functionApp.id, roles.keyVaultSecretsOfficer)
  scope: vault
  properties: { principalId: functionApp.identity.principalId, principalType: 'ServicePrincipal', roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsOfficer) }
}

resource insightsRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(insights.id, functionApp.id, roles.monitoringMetricsPublisher)
  scope: insights
  properties: { principalId: functionApp.identity.principalId, principalType: 'ServicePrincipal', roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.monitoringMetricsPublisher) }
}

// Cosmos DB data-plane RBAC: "Cosmos DB Built-in Data Contributor".
resource cosmosRole 'Microsoft.DocumentDB/databaseAccounts/sqlRoleAssignments@2024-05-15' = {
  parent: cosmos
  name: guid(cosmos.id, functionApp.id, 'data-contributor')
  properties: {
    principalId: functionApp.identity.principalId
    roleDefinitionId: '${cosmos.id}/sqlRoleDefinitions/00000000-0000-0000-0000-000000000002'
    scope: cosmos.id
  }
}

output MAILFERRY_FUNCTION_APP string = functionApp.name
output MAILFERRY_API_URL string = 'https://${functionApp.properties.defaultHostName}/api/v1/'
output MAILFERRY_COSMOS_ENDPOINT string = cosmos.properties.documentEndpoint
output MAILFERRY_COSMOS_DATABASE string = cosmosDatabaseName
output MAILFERRY_SERVICEBUS_NAMESPACE string = '${serviceBus.name}.servicebus.windows.net'
output MAILFERRY_SERVICEBUS_QUEUE string = jobsQueueName
output MAILFERRY_KEYVAULT_URL string = vault.properties.vaultUri
output MAILFERRY_TAB_STORAGE string = web.name
// For the Microsoft 365 Agents Toolkit (m365agents.yml): what its deploy actions and the app manifest need.
output MAILFERRY_FUNCTION_APP_RESOURCE_ID string = functionApp.id
output MAILFERRY_TAB_STORAGE_RESOURCE_ID string = web.id
output TAB_ENDPOINT string = replace(web.properties.primaryEndpoints.web, '.net/', '.net')
output TAB_DOMAIN string = replace(replace(web.properties.primaryEndpoints.web, 'https://', ''), '/', '')
output APPLICATIONINSIGHTS_CONNECTION_STRING string = insights.properties.ConnectionString
